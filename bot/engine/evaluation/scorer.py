"""Scores alerts against a scenario's ground truth: recall, precision, delay, naming, leader."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.engine.evaluation.truth import Negative, Scenario, Story
from bot.engine.text import canonicalize
from bot.posts import parse_time

_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_HEADLINE_PARTS = re.compile(r"\s*[/|()（）]\s*|\s+·\s+")  # name (other form), name / form


@dataclass(frozen=True, slots=True)
class Alert:
    """What a detector said, reduced to what the scorer reads (the backtest contract)."""

    headline: str
    phrases: tuple[str, ...]
    leader: str | None
    fired_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        """From ``AlertEvent.to_json()`` / a `ghostwatch backtest` line."""
        return cls(
            headline=str(data.get("narrative") or ""),
            phrases=tuple(str(p) for p in data.get("phrases") or ()),
            leader=data.get("leader"),
            fired_at=parse_time(data["fired_at"]),
        )


def bare_handle(leader: str | None) -> str | None:
    """'x:karpathy', '@Karpathy' -> 'karpathy' (leaders compare by handle, any network)."""
    if not leader:
        return None
    return leader.rsplit(":", 1)[-1].strip().lstrip("@").casefold() or None


def contains(hay: str, needle: str) -> bool:
    """``needle`` occurs in ``hay`` as whole tokens (as a plain substring for CJK text)."""
    if not needle or not hay:
        return False
    if _CJK_RE.search(needle):
        return needle in hay
    return f" {needle} " in f" {hay} "


def phrase_forms(text: str) -> set[str]:
    """A phrase as written (case-folded) and as the engine folds it."""
    return {f for f in (_SPACES.sub(" ", text.casefold()).strip(), canonicalize(text)) if f}


def alert_forms(alert: Alert) -> set[str]:
    out: set[str] = set()
    for text in (alert.headline, *alert.phrases):
        out |= phrase_forms(text)
    return out


def matches_story(alert: Alert, story: Story) -> bool:
    """An alert's phrases or headline carry one of the story's forms, or its core phrase."""
    forms = set().union(*(phrase_forms(v) for v in story.variants))
    hay = alert_forms(alert)
    if any(contains(h, f) for h in hay for f in forms):
        return True
    core = phrase_forms(story.core)
    return any(contains(h, c) for h in phrase_forms(alert.headline) for c in core)


def is_fragment(alert: Alert, story: Story) -> bool:
    """An unmatched alert whose headline is a piece of the story (one word of it, a stem)."""
    forms = set().union(*(phrase_forms(v) for v in story.variants))
    return any(contains(f, h) for h in phrase_forms(alert.headline) for f in forms)


def matches_negative(alert: Alert, negative: Negative) -> bool:
    """The alert is about a planted negative's phrase (either phrase inside the other)."""
    if negative.grace_until is not None and alert.fired_at < negative.grace_until:
        return False
    keys = set().union(*(phrase_forms(p) for p in negative.phrases)) if negative.phrases else set()
    hay = alert_forms(alert)
    return any(contains(h, k) or contains(k, h) for h in hay for k in keys)


def in_grace(alert: Alert, negatives: Sequence[Negative]) -> bool:
    """An alert on a negative's phrase inside its grace period: neither right nor wrong."""
    for neg in negatives:
        if neg.grace_until is None or alert.fired_at >= neg.grace_until:
            continue
        keys = set().union(*(phrase_forms(p) for p in neg.phrases))
        if any(contains(h, k) or contains(k, h) for h in alert_forms(alert) for k in keys):
            return True
    return False


def is_named(alert: Alert, story: Story) -> bool:
    """The headline is a whole accepted name: same fold, and a form people actually wrote.

    A headline may show the story's other-language form beside its name ("summoning ghosts
    (幽霊を召喚)", "vibe coding / バイブコーディング"): the first part must be a name, every other
    part a form of the same story.
    """
    parts = [p for p in _HEADLINE_PARTS.split(alert.headline) if p.strip()]
    if not parts:
        return False
    accepted = {canonicalize(n) for n in story.names} - {""}
    written = {_SPACES.sub(" ", v.casefold()).strip() for v in (*story.names, *story.variants)}

    def wrote(part: str) -> bool:
        return _SPACES.sub(" ", part.casefold()).strip() in written

    first, rest = parts[0], parts[1:]
    return canonicalize(first) in accepted and wrote(first) and all(wrote(p) for p in rest)


@dataclass(slots=True)
class StoryResult:
    story: Story
    alerts: list[Alert] = field(default_factory=list)  # matched, in firing order

    @property
    def found(self) -> bool:
        return bool(self.alerts)

    @property
    def delay_minutes(self) -> float | None:
        if not self.alerts:
            return None
        return (self.alerts[0].fired_at - self.story.first_post).total_seconds() / 60.0

    @property
    def floor_minutes(self) -> float | None:
        """Minutes from the first post to the 10th: about the earliest a precise alert can be."""
        if self.story.tenth_post is None:
            return None
        return (self.story.tenth_post - self.story.first_post).total_seconds() / 60.0

    @property
    def named(self) -> bool:
        return bool(self.alerts) and is_named(self.alerts[0], self.story)

    @property
    def leader_right(self) -> bool:
        return bool(self.alerts) and bare_handle(self.alerts[0].leader) == bare_handle(
            self.story.leader
        )


@dataclass(slots=True)
class StreamScore:
    """One detector on one stream."""

    scenario: str
    hours: float
    stories: list[StoryResult]
    alerts: int
    matched: int
    neutral: int  # alerts inside a negative's grace period (a daily phrase's first day)
    false_alerts: list[Alert]
    negatives_fired: list[tuple[str, Alert]]  # (negative id, alert)


def score(scenario: Scenario, alerts: Iterable[Alert]) -> StreamScore:
    """Match every alert to stories and negatives of ``scenario``."""
    ordered = sorted(alerts, key=lambda a: a.fired_at)
    results = [StoryResult(s) for s in scenario.stories]
    matched = neutral = 0
    false: list[Alert] = []
    fired: list[tuple[str, Alert]] = []
    for alert in ordered:
        hit = False
        for res in results:
            if matches_story(alert, res.story):
                res.alerts.append(alert)
                hit = True
        for neg in scenario.negatives:
            if matches_negative(alert, neg):
                fired.append((neg.id, alert))
        if hit:
            matched += 1
        elif in_grace(alert, scenario.negatives):
            neutral += 1
        else:
            false.append(alert)
    return StreamScore(
        scenario.name, scenario.hours, results, len(ordered), matched, neutral, false, fired
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """Aggregate figures over one or more streams (pooled, not averaged per stream)."""

    streams: int
    stories: int
    found: int
    alerts: int
    matched: int
    false_alerts: int
    hours: float
    story_alerts: int
    delays: tuple[float, ...]
    floors: tuple[float, ...]
    named: int
    leader_right: int
    negatives_fired: int

    @property
    def recall(self) -> float:
        return self.found / self.stories if self.stories else 1.0

    @property
    def precision(self) -> float | None:
        judged = self.matched + self.false_alerts
        return self.matched / judged if judged else None

    @property
    def false_per_day(self) -> float:
        return self.false_alerts / (self.hours / 24.0) if self.hours else 0.0

    @property
    def alerts_per_story(self) -> float | None:
        return self.story_alerts / self.found if self.found else None

    @property
    def median_delay(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    @property
    def max_delay(self) -> float | None:
        return max(self.delays) if self.delays else None

    @property
    def median_floor(self) -> float | None:
        return statistics.median(self.floors) if self.floors else None

    @property
    def named_share(self) -> float | None:
        return self.named / self.found if self.found else None

    @property
    def leader_share(self) -> float | None:
        return self.leader_right / self.found if self.found else None


def summarize(scores: Sequence[StreamScore]) -> Summary:
    found = [r for s in scores for r in s.stories if r.found]
    return Summary(
        streams=len(scores),
        stories=sum(len(s.stories) for s in scores),
        found=len(found),
        alerts=sum(s.alerts for s in scores),
        matched=sum(s.matched for s in scores),
        false_alerts=sum(len(s.false_alerts) for s in scores),
        hours=sum(s.hours for s in scores),
        story_alerts=sum(len(r.alerts) for r in found),
        delays=tuple(d for r in found if (d := r.delay_minutes) is not None),
        floors=tuple(f for s in scores for r in s.stories if (f := r.floor_minutes) is not None),
        named=sum(r.named for r in found),
        leader_right=sum(r.leader_right for r in found),
        negatives_fired=sum(len(s.negatives_fired) for s in scores),
    )
