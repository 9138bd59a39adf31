"""Ground truth of a synthetic evaluation stream: planted stories and planted negatives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.posts import Post


class NegativeKind(StrEnum):
    """Things planted in a stream that must never alert."""

    RING = "exact copy-paste ring"
    NEAR_RING = "near-duplicate ring"
    SOCK_PUPPETS = "sock puppets"
    SPAM = "single-account flood"
    LEADER_ONE_OFF = "leader one-off"
    LEADER_REPEAT = "leader repeats own coinage, no adopters"
    SLOW_GROWTH = "slow linear growth over a day"
    DAILY = "daily recurring phrase"
    EVERGREEN = "evergreen chatter"
    VOLUME_JUMP = "stream-wide x10 sampling change"
    OUTAGE = "1 h outage then reconnect backlog"
    SOURCE_JOINED = "a network with its own everyday words switched on mid-stream"


@dataclass(frozen=True, slots=True)
class Story:
    """One planted narrative and what a good alert for it looks like."""

    id: str
    kind: str  # short description for the per-story report
    names: tuple[str, ...]  # accepted headlines: the whole coined phrase's surface forms
    variants: tuple[str, ...]  # every surface form posts use (names included)
    core: str  # the phrase a headline must contain when no variant matches
    first_post: datetime
    leader: str | None  # bare handle of the coiner; None for an organic story
    peak_per_minute: float
    tenth_post: datetime | None = None  # when its 10th post appeared: the detection floor


@dataclass(frozen=True, slots=True)
class Negative:
    """A planted non-story; an alert on any of ``phrases`` counts as it firing."""

    id: str
    kind: NegativeKind
    phrases: tuple[str, ...]  # empty for whole-stream events (volume jump, outage)
    # Alerts on the phrase before this moment are neither right nor wrong (a daily phrase's
    # first day is news); None: every alert on it counts.
    grace_until: datetime | None = None


@dataclass(slots=True)
class Scenario:
    """A seeded stream in delivery order plus its ground truth."""

    name: str
    seed: int
    start: datetime
    end: datetime
    posts: list[Post]
    stories: list[Story] = field(default_factory=list)
    negatives: list[Negative] = field(default_factory=list)
    leaders: tuple[str, ...] = ()  # bare handles; the driver adapts them to the engine

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0
