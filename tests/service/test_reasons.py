"""Why a narrative scores: reasons read from its breakdown, as built and as stored before v1."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.breakdown import Breakdown
from bot.service import reasons
from bot.service.rows import reasons_of
from bot.service.types import Reason
from storage.models import Narrative
from tests.builders import AT, SEED_AT, narrative_view
from tests.engine.test_breakdown import LEGACY


def _explain(breakdown: Breakdown, leader: str | None = None) -> list[Reason]:
    return list(
        reasons.explain(
            breakdown,
            authors=12,
            sources=3,
            leader=leader,
            seed_at=SEED_AT if leader else None,
            tokens=0,
            now=AT,
        )
    )


def test_a_new_phrase_is_new_not_a_multiple_of_its_usual_rate() -> None:
    found = _explain(Breakdown(expected=0.2, mentions=9, velocity_ratio=8.3))
    assert found[0] == Reason("reason.new", {"expected": 0.2, "mentions": 9})


def test_a_known_phrase_gains_speed_and_accelerates() -> None:
    found = _explain(Breakdown(expected=3.0, mentions=30, velocity_ratio=7.5, acceleration=0.4))
    assert [r.key for r in found] == ["reason.velocity", "reason.reach", "reason.accelerating"]
    assert found[0].params == {"ratio": 7.5}


def test_no_signals_give_only_reach_and_leader() -> None:
    found = _explain(Breakdown.EMPTY, leader="karpathy")
    assert [r.key for r in found] == ["reason.reach", "reason.leader"]
    assert found[1].params == {"leader": "karpathy", "ago_seconds": 40 * 60}


async def test_a_row_stored_before_v1_gives_the_reasons_it_gave(storage: str) -> None:
    view = narrative_view()
    row = await Narrative.create(
        key=view.key,
        label=view.label,
        phrase=view.phrase,
        breakdown={**LEGACY, "expected": 3.0, "acceleration": 0.5},
        authors=12,
        sources=["x", "reddit"],
        seed_leader="karpathy",
        seed_post_at=SEED_AT,
        first_seen=SEED_AT,
        updated_at=AT,
    )
    found = reasons_of(await Narrative.get(id=row.id), tokens=2, now=AT + timedelta(minutes=5))
    assert [(r.key, r.params) for r in found] == [
        ("reason.velocity", {"ratio": LEGACY["velocity_ratio"]}),
        ("reason.reach", {"authors": 12, "sources": 2}),
        ("reason.leader", {"leader": "karpathy", "ago_seconds": 45 * 60}),
        ("reason.accelerating", {}),
        ("reason.tokens", {"count": 2}),
    ]
