"""A narrative's score breakdown as translatable sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.service.types import Reason

MIN_RATIO = 1.5  # below this, "x1 its usual rate" says nothing
NEW_EXPECTED = 0.5  # expected mentions below this: the ratio is meaningless, say "new"
ACCELERATING = 0.3


def _num(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def explain(
    breakdown: dict[str, Any],
    *,
    authors: int,
    sources: int,
    leader: str | None,
    seed_at: datetime | None,
    tokens: int,
    now: datetime,
) -> tuple[Reason, ...]:
    """Why a narrative scores what it does, strongest evidence first."""
    reasons: list[Reason] = []
    ratio = _num(breakdown, "velocity_ratio")
    expected = _num(breakdown, "expected")
    mentions = _num(breakdown, "mentions")
    if expected is not None and expected < NEW_EXPECTED and mentions:
        reasons.append(Reason("reason.new", {"expected": expected, "mentions": int(mentions)}))
    elif ratio is not None and ratio >= MIN_RATIO:
        reasons.append(Reason("reason.velocity", {"ratio": ratio}))
    if authors > 0:
        reasons.append(Reason("reason.reach", {"authors": authors, "sources": max(1, sources)}))
    if leader:
        if seed_at is not None:
            ago = max(0, int((now - seed_at).total_seconds()))
            reasons.append(Reason("reason.leader", {"leader": leader, "ago_seconds": ago}))
        else:
            reasons.append(Reason("reason.leader_no_time", {"leader": leader}))
    accel = _num(breakdown, "acceleration")
    if accel is not None and accel >= ACCELERATING:
        reasons.append(Reason("reason.accelerating"))
    if tokens:
        reasons.append(Reason("reason.tokens", {"count": tokens}))
    return tuple(reasons)
