"""Virality score 0-100 from a phrase's adoption evidence, with an explanation.

The score is a monotone map of how far the evidence has gone past the decision bound:
``certainty = min(LLR / bound, adopters / needed)`` and ``score = 100 * c / (c + 2/3)``, so the
default alert threshold of 60 is exactly the point where both the sequential test and the count
of independent adopters are satisfied; 80 needs them met 2.7 times over, 90 six times, and 100
is never reached. Priors move the bound, never the counts:
a fresh coinage of a tracked leader needs less evidence and fewer adopters; a plain word of
the language needs more (its share is rarely the story, a phrase containing it usually is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.engine.breakdown import Breakdown, Components
from bot.engine.config import EngineConfig
from bot.engine.evidence import Evidence, acceleration

HALF = 2.0 / 3.0  # certainty at which the score is 50 (so 60 at certainty 1)


@dataclass(slots=True)
class Signals:
    evidence: Evidence
    sources: tuple[str, ...]
    engagement: int
    leader: str | None = None
    common: bool = False  # a word or phrase the stream uses routinely: needs more evidence
    mentions: int = 0  # mentions in the scoring window (exact, for display and charts)


def certainty_to_score(certainty: float) -> float:
    c = max(0.0, certainty)
    return 100.0 * c / (c + HALF)


def _requirements(cfg: EngineConfig, leader: bool, common: bool) -> tuple[float, float]:
    bound, needed = cfg.evidence_bound, cfg.min_adopters
    if leader:
        bound, needed = bound * cfg.leader_bound_factor, cfg.leader_min_adopters
    if common:
        bound *= cfg.ordinary_factor
        needed *= cfg.ordinary_factor
    return bound, needed


def _certainty(ev: Evidence, bound: float, needed: float) -> float:
    return min(ev.llr / bound, ev.adopters / needed)


def score(sig: Signals, cfg: EngineConfig) -> float:
    """The score alone (every tick, for every phrase that changed)."""
    bound, needed = _requirements(cfg, sig.leader is not None, sig.common)
    return round(certainty_to_score(_certainty(sig.evidence, bound, needed)), 3)


def explain(sig: Signals, cfg: EngineConfig) -> Breakdown:
    """Why a phrase scores what it does (only built when someone will read it)."""
    ev = sig.evidence
    bound, needed = _requirements(cfg, sig.leader is not None, sig.common)
    total = certainty_to_score(_certainty(ev, bound, needed))
    plain = total
    if sig.leader is not None:
        plain = certainty_to_score(_certainty(ev, *_requirements(cfg, False, sig.common)))
    components = Components(evidence=round(plain, 3), leader=round(total - plain, 3))
    return Breakdown(
        velocity_ratio=round(ev.ratio, 3),
        expected=round(ev.expected, 3),
        mentions=int(max(sig.mentions, round(ev.adopters))),
        z=round(math.sqrt(2.0 * ev.llr), 3),
        llr=round(ev.llr, 3),
        evidence_bound=round(bound, 3),
        needed_adopters=round(needed, 2),
        window_minutes=round(ev.window_seconds / 60.0, 1),
        window_posts=ev.window_posts,
        acceleration=round(acceleration(ev), 3),
        authors=ev.distinct,
        effective_authors=round(ev.adopters, 2),
        sources=tuple(sig.sources),
        engagement=sig.engagement,
        leader=sig.leader,
        leader_bonus=components.leader,
        components=components,
    )
