"""Engine output and storage rows built directly, for suites that are not about the engine.

Delivery, service, render and front-end tests need narratives and alerts, not the engine's
judgement of a stream: building them here means a change to a scoring weight breaks only the
engine's own suites (tests/engine) and the whole-system ones (tests/system).

The defaults describe the story the engine suites replay: "summoning ghosts", seeded by
@karpathy on X, viral at 60 with reach across three sources.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine.breakdown import Breakdown, Components
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView, SamplePost
from bot.pipeline import TickResult
from storage.narratives import save_views

AT = datetime(2026, 3, 1, 2, 50, tzinfo=UTC)  # when the default narrative alerts
SEED_URL = "https://x.com/karpathy/status/1"
SEED_AT = AT - timedelta(minutes=40)
LEADER = "karpathy"
PHRASE = "summon ghost"
LABEL = "summoning ghosts"
SOURCES = ("bluesky", "reddit", "x")
THRESHOLD = 60.0  # the default alert threshold: a view at or above it is viral

Hook = Callable[[list[NarrativeView], list[AlertEvent]], Awaitable[None]]


@dataclass(frozen=True)
class Tick:
    """One scoring tick's output: the narratives at `at`, and the alerts fired in it."""

    at: datetime
    views: list[NarrativeView]
    alerts: list[AlertEvent]


def sample_post(
    text: str = "we are summoning ghosts, not building animals",
    *,
    author: str = LEADER,
    source: str = "x",
    url: str | None = SEED_URL,
    at: datetime = SEED_AT,
    post_id: str = "p1",
    engagement: int = 11,
) -> SamplePost:
    return SamplePost(post_id, author, source, text, url, at, engagement)


def breakdown(score: float, authors: int, sources: Sequence[str]) -> Breakdown:
    """A score breakdown: new phrase, many times its usual rate, its score all evidence."""
    return Breakdown(
        velocity_ratio=5.0,
        expected=0.01,
        mentions=max(1, authors),
        acceleration=0.0,
        authors=authors,
        effective_authors=float(authors),
        sources=tuple(sources),
        components=Components(evidence=score),
    )


def narrative_view(
    phrase: str = PHRASE,
    *,
    label: str | None = None,
    key: str | None = None,
    phrases: Sequence[str] = (),
    state: Lifecycle | None = None,
    score: float = THRESHOLD,
    episode: int | None = None,
    leader: str | None = LEADER,
    seed: SamplePost | None = None,
    authors: int = 40,
    mentions: int | None = None,
    sources: Sequence[str] = SOURCES,
    at: datetime = AT,
    first_seen: datetime | None = None,
    series: Sequence[tuple[datetime, int]] | None = None,
    top_posts: Sequence[SamplePost] | None = None,
) -> NarrativeView:
    """One narrative as the engine shows it at `at`; viral from the alert threshold on."""
    if state is None:
        state = Lifecycle.VIRAL if score >= THRESHOLD else Lifecycle.EMERGING
    if episode is None:  # episodes count viral waves: an emerging first wave has had none
        episode = 0 if state in (Lifecycle.QUIET, Lifecycle.EMERGING) else 1
    if seed is None and leader is not None:
        seed = sample_post(author=leader)
    if series is None:  # a ramp: the newest 5-minute bucket is the busiest
        series = tuple((at - timedelta(minutes=5 * i), 12 - 2 * i) for i in reversed(range(6)))
    if top_posts is None:
        others = tuple(
            sample_post(
                f"{label or phrase} everywhere today #{i}",
                author=f"user{i}",
                source=sources[i % len(sources)],
                url=None,
                at=at - timedelta(minutes=i),
                post_id=f"p{100 + i}",
                engagement=5 - i,
            )
            for i in range(3)
        )
        top_posts = (seed, *others) if seed is not None else others
    return NarrativeView(
        key=key or phrase,
        label=label or (LABEL if phrase == PHRASE else phrase),
        phrase=phrase,
        phrases=tuple(phrases) or (phrase,),
        state=state,
        score=score,
        breakdown=breakdown(score, authors, sources),
        episode=episode,
        first_seen=first_seen or (seed.created_at if seed else at - timedelta(minutes=40)),
        leader=leader,
        seed_post=seed,
        authors=authors,
        mentions=mentions if mentions is not None else authors * 3,
        sources=tuple(sources),
        series=tuple(series),
        top_posts=tuple(top_posts),
    )


def alert_event(view: NarrativeView | None = None, *, at: datetime | None = None) -> AlertEvent:
    """The engine's alert for `view`'s episode."""
    view = view or narrative_view()
    return AlertEvent(narrative=view, fired_at=at or AT, episode=view.episode)


def evolve(view: NarrativeView, **changes: Any) -> NarrativeView:
    """`view` with some fields changed (its breakdown follows a changed score)."""
    if "score" in changes and "breakdown" not in changes:
        authors = changes.get("authors", view.authors)
        changes["breakdown"] = breakdown(changes["score"], authors, view.sources)
    return dataclasses.replace(view, **changes)


def ramp(
    phrase: str = PHRASE, *, minutes: int = 30, until: datetime = AT, peak: float = THRESHOLD
) -> list[NarrativeView]:
    """One narrative minute by minute up to `until`: rising from quiet to `peak` (viral)."""
    views = []
    for i in range(minutes):
        at = until - timedelta(minutes=minutes - 1 - i)
        score = round(peak * (i + 1) / minutes, 2)
        views.append(narrative_view(phrase, score=score, authors=4 + i, at=at))
    return views


class Ticks:
    """Stands where the scoring pipeline would: each tick stores its narratives, then calls
    the hook (the dispatcher), exactly as ScoringPipeline.tick does for the engine's output."""

    def __init__(self, hook: Hook | None = None) -> None:
        self.hook = hook

    async def __call__(
        self,
        views: Sequence[NarrativeView],
        alerts: Sequence[AlertEvent] = (),
        *,
        at: datetime | None = None,
    ) -> TickResult:
        to_save = {view.key: view for view in views}
        for alert in alerts:
            to_save.setdefault(alert.narrative.key, alert.narrative)
        moment = at or max((a.fired_at for a in alerts), default=AT)
        await save_views(list(to_save.values()), moment)
        if self.hook is not None:
            await self.hook(list(views), list(alerts))
        return TickResult(0, list(views), list(alerts), True)


async def stored(views: Sequence[NarrativeView]) -> None:
    """Narrative rows (and their score history) for `views`, each saved at its newest bucket."""
    for view in views:
        await save_views([view], view.series[-1][0] if view.series else AT)


async def fired(hook: Hook | None = None, view: NarrativeView | None = None) -> TickResult:
    """The tick in which the default narrative's ramp turns viral and alerts, history stored."""
    history = ramp()
    await stored(history[:-1])
    last = view or history[-1]
    return await Ticks(hook)([last], [alert_event(last)], at=AT)


async def still_viral(hook: Hook | None, result: TickResult, minutes: int) -> None:
    """`minutes` more ticks after `result`: its narratives still viral, no new alert event."""
    tick = Ticks(hook)
    at = max((a.fired_at for a in result.alerts), default=AT)
    for minute in range(1, minutes + 1):
        later = [evolve(view, score=view.score + minute / 2) for view in result.views]
        await tick(later, at=at + timedelta(minutes=minute))


def story(viral_minutes: int = 10) -> list[Tick]:
    """The default narrative tick by tick: a half-hour ramp, the alert at AT, then still viral."""
    history = ramp()
    ticks = [Tick(view.series[-1][0], [view], []) for view in history[:-1]]
    ticks.append(Tick(AT, [history[-1]], [alert_event(history[-1])]))
    for minute in range(1, viral_minutes + 1):
        later = evolve(history[-1], score=THRESHOLD + minute / 2)
        ticks.append(Tick(AT + timedelta(minutes=minute), [later], []))
    return ticks
