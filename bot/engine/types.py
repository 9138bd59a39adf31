"""Public value types of the narrative engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.engine.breakdown import Breakdown
from bot.posts import Post, format_time

SAMPLE_TEXT_CHARS = 500


def utc(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=UTC)


class CheckpointError(ValueError):
    """A checkpoint that is corrupt or from an incompatible engine version/config."""


class Lifecycle(StrEnum):
    QUIET = "quiet"
    EMERGING = "emerging"
    VIRAL = "viral"
    COOLING = "cooling"
    DORMANT = "dormant"


@dataclass(frozen=True, slots=True)
class SamplePost:
    id: str
    author: str
    source: str
    text: str
    url: str | None
    created_at: datetime
    engagement: int

    @classmethod
    def of(cls, post: Post) -> SamplePost:
        return cls(
            id=post.id,
            author=post.author,
            source=post.source,
            text=post.text[:SAMPLE_TEXT_CHARS],
            url=post.url,
            created_at=post.created_at,
            engagement=post.engagement,
        )

    @staticmethod
    def pack(sample: SamplePost | None) -> tuple[Any, ...] | None:
        """Plain-tuple form for checkpoints (None stays None)."""
        if sample is None:
            return None
        s = sample
        return (s.id, s.author, s.source, s.text, s.url, s.created_at.timestamp(), s.engagement)

    @classmethod
    def unpack(cls, data: Any) -> SamplePost | None:
        if data is None:
            return None
        post_id, author, source, text, url, ts, engagement = data
        return cls(post_id, author, source, text, url, utc(ts), engagement)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "source": self.source,
            "text": self.text,
            "url": self.url,
            "created_at": format_time(self.created_at),
            "engagement": self.engagement,
        }


@dataclass(frozen=True, slots=True)
class NarrativeView:
    """Snapshot of one narrative for display and alerting."""

    key: str  # stable id (canonical phrase of the narrative when first tracked)
    label: str
    phrase: str
    phrases: tuple[str, ...]
    state: Lifecycle
    score: float
    breakdown: Breakdown
    episode: int
    first_seen: datetime
    leader: str | None
    seed_post: SamplePost | None
    authors: int
    mentions: int
    sources: tuple[str, ...]
    series: tuple[tuple[datetime, int], ...]
    top_posts: tuple[SamplePost, ...]
    # The spellings people wrote of ``phrases`` (a reader's "summoning ghosts", never the
    # folded key "summon ghost"), one per phrase and in its order.
    forms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertEvent:
    narrative: NarrativeView
    fired_at: datetime
    episode: int

    def to_json(self) -> dict[str, Any]:
        """The `ghostwatch backtest` output object."""
        view = self.narrative
        return {
            "narrative": view.label,
            "phrase": view.phrase,
            "phrases": list(view.phrases),
            "fired_at": format_time(self.fired_at),
            "score": round(view.score, 2),
            "leader": view.leader,
            "seed_post": view.seed_post.id if view.seed_post else None,
            "breakdown": view.breakdown.to_json(),
        }
