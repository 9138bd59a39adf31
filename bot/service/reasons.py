"""A narrative's score breakdown as translatable sentences."""

from __future__ import annotations

from datetime import datetime

from bot.engine import Breakdown
from bot.service.types import Reason

MIN_RATIO = 1.5  # below this, "x1 its usual rate" says nothing
NEW_EXPECTED = 0.5  # expected mentions below this: the ratio is meaningless, say "new"
ACCELERATING = 0.3


def explain(
    breakdown: Breakdown,
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
    expected, mentions = breakdown.expected, breakdown.mentions
    if expected < NEW_EXPECTED and mentions:
        reasons.append(Reason("reason.new", {"expected": expected, "mentions": mentions}))
    elif breakdown.velocity_ratio >= MIN_RATIO:
        reasons.append(Reason("reason.velocity", {"ratio": breakdown.velocity_ratio}))
    if authors > 0:
        reasons.append(Reason("reason.reach", {"authors": authors, "sources": max(1, sources)}))
    if leader:
        if seed_at is not None:
            ago = max(0, int((now - seed_at).total_seconds()))
            reasons.append(Reason("reason.leader", {"leader": leader, "ago_seconds": ago}))
        else:
            reasons.append(Reason("reason.leader_no_time", {"leader": leader}))
    if breakdown.acceleration >= ACCELERATING:
        reasons.append(Reason("reason.accelerating"))
    if tokens:
        reasons.append(Reason("reason.tokens", {"count": tokens}))
    return tuple(reasons)
