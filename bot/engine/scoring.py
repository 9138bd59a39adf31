"""Virality score 0-100 from a phrase's window signals, with an explanation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bot.engine.config import EngineConfig

# Component weights (sum to 1). The product of the novelty gate and the diversity factor
# scales all of them, so neither volume alone nor a single account can carry a phrase.
WEIGHTS = {
    "novelty": 0.25,
    "significance": 0.20,
    "reach": 0.25,
    "acceleration": 0.10,
    "spread": 0.05,
    "engagement": 0.05,
    "leader": 0.10,
}


@dataclass(slots=True)
class Signals:
    mentions: float  # window mentions (exact)
    expected: float  # expected window mentions from the phrase's own baseline
    recent: float  # mentions in the newest quarter of the window
    authors: int  # distinct authors in the window
    effective_authors: float  # authors after down-weighting identical-text groups
    top_author_share: float  # share of window mentions by the busiest author
    sources: tuple[str, ...]
    engagement: int
    leader: str | None = None
    adopters: int = 0  # non-leader authors in the window
    recent_buckets: int = 3
    window_buckets: int = 12


def _clip(x: float) -> float:
    return 0.0 if x <= 0.0 else 1.0 if x >= 1.0 else x


def poisson_z(observed: float, expected: float) -> float:
    """Anscombe-transformed Poisson significance of observed vs expected counts."""
    return 2.0 * (math.sqrt(observed + 0.375) - math.sqrt(expected + 0.375))


def acceleration(sig: Signals) -> float:
    """0..1: how much faster the newest part of the window runs than the rest."""
    older_buckets = max(1, sig.window_buckets - sig.recent_buckets)
    r_recent = sig.recent / max(1, sig.recent_buckets)
    r_older = (sig.mentions - sig.recent) / older_buckets
    return _clip((r_recent - r_older) / (r_older + 1.0) / 2.0)


def score(sig: Signals, cfg: EngineConfig) -> tuple[float, dict[str, Any]]:
    ratio = (sig.mentions + 1.0) / (sig.expected + 1.0)
    z = poisson_z(sig.mentions, sig.expected)
    acc = acceleration(sig)
    comps = {
        "novelty": _clip(math.log2(ratio) / 4.0),
        "significance": _clip(z / 8.0),
        "reach": _clip(math.log1p(sig.effective_authors) / math.log1p(cfg.reach_authors)),
        "acceleration": acc,
        "spread": _clip((len(sig.sources) - 1) / 3.0),
        "engagement": _clip(
            math.log1p(sig.engagement / max(sig.mentions, 1.0)) / math.log1p(100.0)
        ),
        "leader": _clip(sig.adopters / cfg.leader_adopters) if sig.leader else 0.0,
    }
    # Below ~1.4x its own baseline a phrase is ordinary chatter, whatever its volume.
    gate = _clip((math.log2(ratio) - 0.5) / 2.0)
    diversity = _clip(sig.effective_authors / cfg.min_authors) * (
        1.0 - max(0.0, sig.top_author_share - 0.5)
    )
    scale = 100.0 * gate * diversity
    points = {name: round(scale * WEIGHTS[name] * value, 3) for name, value in comps.items()}
    total = min(100.0, max(0.0, sum(points.values())))
    breakdown: dict[str, Any] = {
        "velocity_ratio": round(ratio, 3),
        "expected": round(sig.expected, 3),
        "mentions": int(sig.mentions),
        "z": round(z, 3),
        "acceleration": round(acc, 3),
        "authors": sig.authors,
        "effective_authors": round(sig.effective_authors, 2),
        "diversity": round(diversity, 3),
        "novelty_gate": round(gate, 3),
        "top_author_share": round(sig.top_author_share, 3),
        "sources": list(sig.sources),
        "engagement": sig.engagement,
        "leader": sig.leader,
        "leader_bonus": points["leader"],
        "components": points,
    }
    return round(total, 3), breakdown
