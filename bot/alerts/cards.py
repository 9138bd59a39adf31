"""Alert cards as of the wave an alert is about: what an alert stores when due, and re-dating.

The card the service builds shows the narrative's current row. An alert delivered late (after a
tick spanning hours of stream time, a flood-control deferral, a restart) shows the score,
episode and reasons it was recorded with instead, from the evidence stored on the Alert row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.engine import Breakdown, Lifecycle
from bot.posts import format_time, parse_time
from bot.service.reasons import explain
from bot.service.types import AlertCard, Reason
from storage.models import Alert, Narrative


def evidence(breakdown: Breakdown, authors: int, sources: int, at: datetime) -> dict[str, Any]:
    """What an alert stores about its narrative at the moment it became due."""
    return {
        "breakdown": breakdown.to_json(),
        "authors": int(authors),
        "sources": int(sources),
        "at": format_time(at),
    }


def as_recorded(card: AlertCard, alert: Alert, row: Narrative) -> AlertCard:
    """The card as of the wave the alert is about, when the narrative has moved on since.

    After a tick spanning hours of stream time (or a late delivery) the row may already be
    cooling, or on a later episode; the alert then shows the score it was recorded at and its
    own episode, not today's numbers.
    """
    if (row.state == Lifecycle.VIRAL and row.episode == alert.episode) or (
        row.state == Lifecycle.EMERGING and row.episode + 1 == alert.episode
    ):
        return card  # the row still describes this alert's wave
    reasons = reasons_then(alert.evidence, row, card) or card.reasons
    if alert.episode <= row.episode:  # the wave turned viral (the alert fired, or was due)
        return dataclasses.replace(
            card, state=Lifecycle.VIRAL, score=alert.score, episode=alert.episode, reasons=reasons
        )
    # Recorded while emerging; the wave has not (yet) turned viral.
    return dataclasses.replace(card, state=Lifecycle.EMERGING, score=alert.score, reasons=reasons)


def reasons_then(
    seen: Mapping[str, Any] | None, row: Narrative, card: AlertCard
) -> tuple[Reason, ...]:
    """The reasons as they stood when the alert was due; () for alerts recorded without them."""
    if not seen or not isinstance(seen.get("breakdown"), dict):
        return ()
    try:
        at = parse_time(str(seen["at"]))
        authors, sources = int(seen["authors"]), int(seen["sources"])
    except (KeyError, TypeError, ValueError):
        return ()
    return explain(
        Breakdown.from_json(seen["breakdown"]),
        authors=authors,
        sources=sources,
        leader=row.seed_leader,
        seed_at=row.seed_post_at,
        tokens=card.tokens.count,
        now=at,
    )
