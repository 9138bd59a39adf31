"""Why a narrative scores what it does: the score breakdown, and its versioned JSON form.

The engine builds it (`scoring.explain`); it is written out by `ghostwatch backtest`, kept as
JSON on Narrative rows and in an alert's evidence, and read back to say why a narrative
scores. `to_json` writes version 1: the fields under their own names, plus `"v": 1`.
`from_json` reads version 1 and the unversioned dicts stored before it (the same names), and
never raises: a stored row may be old or hand-edited, so a missing or ill-typed value reads
as the field's default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

VERSION = 1


def _float(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    # bool is an int to Python, never a measurement here
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return 0.0
    return number if math.isfinite(number) else 0.0


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(_float(data, key))  # a float count (hand-edited) truncates, as int() did


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True, slots=True)
class Components:
    """The score in parts that add up to it: the evidence alone, and a leader's prior."""

    evidence: float = 0.0
    leader: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {"evidence": self.evidence, "leader": self.leader}

    @classmethod
    def from_json(cls, data: object) -> Components:
        if not isinstance(data, Mapping):
            return cls()
        return cls(evidence=_float(data, "evidence"), leader=_float(data, "leader"))


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The evidence behind a narrative's score, as the engine measured it."""

    velocity_ratio: float = 0.0  # adoptions (+1) over what the baseline expected (+1)
    expected: float = 0.0  # adoptions the baseline share predicts over the window
    mentions: int = 0
    z: float = 0.0
    llr: float = 0.0  # nats of evidence in the best window
    evidence_bound: float = 0.0  # nats needed for score 60 (after priors)
    needed_adopters: float = 0.0  # independent adopters needed for score 60 (after priors)
    window_minutes: float = 0.0
    window_posts: int = 0
    acceleration: float = 0.0  # 0..1
    authors: int = 0  # distinct new authors in the window
    effective_authors: float = 0.0  # adopters with near-duplicates discounted
    sources: tuple[str, ...] = ()
    engagement: int = 0
    leader: str | None = None
    leader_bonus: float = 0.0
    components: Components = Components()

    EMPTY: ClassVar[Breakdown]  # a narrative with no signals yet

    def to_json(self) -> dict[str, Any]:
        """Version 1; the key order is the backtest output's."""
        return {
            "v": VERSION,
            "velocity_ratio": self.velocity_ratio,
            "expected": self.expected,
            "mentions": self.mentions,
            "z": self.z,
            "llr": self.llr,
            "evidence_bound": self.evidence_bound,
            "needed_adopters": self.needed_adopters,
            "window_minutes": self.window_minutes,
            "window_posts": self.window_posts,
            "acceleration": self.acceleration,
            "authors": self.authors,
            "effective_authors": self.effective_authors,
            "sources": list(self.sources),
            "engagement": self.engagement,
            "leader": self.leader,
            "leader_bonus": self.leader_bonus,
            "components": self.components.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Breakdown:
        """A stored breakdown of any version (unversioned ones included); never raises."""
        if not isinstance(data, Mapping):
            return cls.EMPTY
        # Version 1 kept the unversioned names, so both read alike; a newer version is read
        # by the same names, as far as they go.
        return cls(
            velocity_ratio=_float(data, "velocity_ratio"),
            expected=_float(data, "expected"),
            mentions=_int(data, "mentions"),
            z=_float(data, "z"),
            llr=_float(data, "llr"),
            evidence_bound=_float(data, "evidence_bound"),
            needed_adopters=_float(data, "needed_adopters"),
            window_minutes=_float(data, "window_minutes"),
            window_posts=_int(data, "window_posts"),
            acceleration=_float(data, "acceleration"),
            authors=_int(data, "authors"),
            effective_authors=_float(data, "effective_authors"),
            sources=_texts(data, "sources"),
            engagement=_int(data, "engagement"),
            leader=_text(data, "leader"),
            leader_bonus=_float(data, "leader_bonus"),
            components=Components.from_json(data.get("components")),
        )


Breakdown.EMPTY = Breakdown()
