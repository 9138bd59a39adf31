"""The scoring pipeline: buffers posts, feeds the engine, persists narratives, calls the hook."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.clock import LIVE_AHEAD
from bot.engine import NarrativeEngine
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView
from bot.metrics import NARRATIVES, POSTS_DROPPED, POSTS_SKEWED, TICK_SECONDS
from bot.posts import Post, by_interval
from bot.tokens.matcher import NarrativeRef
from storage.narratives import retire_untracked, save_views

log = logging.getLogger(__name__)

# Post.source values used as a metric label; anything else (a replay file can hold any
# string) is counted as "other" so the label set stays small.
METRIC_SOURCES = frozenset(
    ("bluesky", "hackernews", "rss", "reddit", "mastodon", "x", "telegram", "discord")
)

NarrativeHook = Callable[[list[NarrativeView], list[AlertEvent]], Awaitable[None]]
TickPrelude = Callable[[], Awaitable[None]]
INTERVAL_SECONDS = 60  # event-time slice per engine tick, as in the engine's own replays
THREAD_THRESHOLD = 20_000  # posts in one tick above which engine work leaves the event loop
# Posts waiting for the next tick. Beyond it new posts are dropped and counted: a stalled tick
# must not let memory grow without limit (a firehose gives a few thousand posts per tick).
MAX_BUFFERED = 200_000
# Live sources keep the engine within a minute or two of the wall clock; a larger gap means
# the engine is reading the past (a replay, a backfill, a checkpoint not yet caught up).
STREAM_LAG = timedelta(minutes=10)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def stream_clock(
    engine: NarrativeEngine,
    *,
    lag: timedelta = STREAM_LAG,
    wall: Callable[[], datetime] = _utcnow,
) -> Callable[[], datetime]:
    """The current time as the narratives know it, for the service's windows and "… ago" texts.

    The rule: the engine's time (its newest post) when that is more than `lag` behind the
    wall clock, else the wall clock. A replay or backfill of old posts therefore reads as if
    it were happening now, while live data (and an engine ahead of the wall clock, from posts
    dated in the future) uses real time. An engine restored from a checkpoint keeps the time
    it had, so after a restart the service shows the same picture as before until new posts
    arrive; an engine with no posts yet uses the wall clock.
    """

    def now() -> datetime:
        real = wall()
        seen = engine.now
        if seen is not None and real - seen > lag:
            return seen
        return real

    return now


@dataclass(frozen=True, slots=True)
class TickResult:
    posts: int
    views: list[NarrativeView]
    alerts: list[AlertEvent]  # alerts fired in this tick (delivered to the hook or pending)
    persisted: bool


class PostIntake(Protocol):
    """What the scheduler feeds: a ScoringPipeline, or an ingest process's IngestIntake."""

    def add(self, posts: Sequence[Post]) -> None: ...

    async def tick(self, now: datetime | None = None) -> TickResult: ...

    def phrases(self, limit: int = 10) -> list[str]:
        """Phrases of the strongest narratives, for sources that search by phrase."""
        ...

    def narrative_refs(self) -> list[NarrativeRef]:
        """The current narratives, for matching token launches."""
        ...


class ScoringPipeline:
    """Owns the NarrativeEngine; `add` is cheap and synchronous, `tick` does the work."""

    def __init__(
        self,
        engine: NarrativeEngine,
        *,
        on_narratives: NarrativeHook | None = None,
        persist: bool = True,
        thread_threshold: int = THREAD_THRESHOLD,
        before_tick: TickPrelude | None = None,
        max_buffered: int = MAX_BUFFERED,
        wall: Callable[[], float] = time.time,
        may_write: Callable[[], bool] = lambda: True,
    ) -> None:
        self.engine = engine
        self.wall = wall  # epoch seconds; no live post may claim to be later than this
        self.on_narratives = on_narratives
        # Runs at the start of every tick, under the tick lock (e.g. to refresh the leaders).
        self.before_tick = before_tick
        self.persist = persist
        # False once this process must record nothing more (it lost the scorer role to
        # another process): ticks then neither persist nor call the hook.
        self.may_write = may_write
        self.thread_threshold = thread_threshold
        self.max_buffered = max_buffered
        self.dropped = 0
        self.views: list[NarrativeView] = []
        self.posts_seen = 0
        self._buffer: list[Post] = []
        self._pending: list[AlertEvent] = []  # fired but not yet accepted by the hook
        self._lock = asyncio.Lock()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def room(self) -> int:
        """How many more posts the buffer takes before it drops."""
        return max(0, self.max_buffered - len(self._buffer))

    def add(self, posts: Sequence[Post]) -> None:
        """Queue posts for the next tick (called by sources; never blocks).

        When the buffer is full the posts that do not fit are dropped and counted in
        `ghostwatch_posts_dropped`: the sources keep running and scoring catches up.
        Posts dated more than a few minutes past the wall clock are dropped and counted in
        `ghostwatch_posts_skewed` (one would move the engine's clock to the future).
        """
        posts = self._plausible(posts)
        room = self.room
        if len(posts) > room:
            lost = len(posts) - room
            self.dropped += lost
            POSTS_DROPPED.inc(lost)
            log.warning("scoring buffer full: dropped %d posts", lost)
            posts = posts[:room]
        self._buffer.extend(posts)

    def _plausible(self, posts: Sequence[Post]) -> Sequence[Post]:
        limit = self.wall() + LIVE_AHEAD
        if not any(p.created_at.timestamp() > limit for p in posts):
            return posts
        kept = [p for p in posts if p.created_at.timestamp() <= limit]
        for source, count in Counter(
            p.source if p.source in METRIC_SOURCES else "other"
            for p in posts
            if p.created_at.timestamp() > limit
        ).items():
            POSTS_SKEWED.labels(source, "dropped").inc(count)
        log.warning("dropped %d posts dated in the future", len(posts) - len(kept))
        return kept

    def set_leaders(self, handles: Iterable[str]) -> None:
        """Track exactly `handles`; leader posts already recorded from others are forgotten.

        Call it between ticks (e.g. from `before_tick`): engine work may run in a thread.
        """
        self.engine.set_leaders(handles)

    def phrases(self, limit: int = 10) -> list[str]:
        """Phrases of the strongest narratives, for sources that search by phrase."""
        return [view.phrase for view in self.views[:limit]]

    def narrative_refs(self) -> list[NarrativeRef]:
        return [
            NarrativeRef(
                key=view.key,
                phrases=tuple(dict.fromkeys((view.phrase, *view.phrases, view.label))),
                seed_at=view.seed_post.created_at if view.seed_post else None,
            )
            for view in self.views
        ]

    def _step(self, batch: list[Post], now: datetime | None) -> list[AlertEvent]:
        alerts: list[AlertEvent] = []
        # Event-time slices: the result does not depend on how posts were batched on arrival.
        for chunk in by_interval(batch, INTERVAL_SECONDS):
            self.engine.ingest(chunk)
            alerts += self.engine.tick()
        if now is not None or not batch:
            alerts += self.engine.tick(now)
        return alerts

    async def tick(self, now: datetime | None = None) -> TickResult:
        """Feed buffered posts, advance the engine, persist, then call the hook."""
        async with self._lock:
            if self.before_tick is not None:
                try:
                    await self.before_tick()
                except Exception:
                    log.exception("tick prelude failed; scoring with the previous state")
            batch, self._buffer = self._buffer, []
            batch.sort(key=lambda p: (p.created_at, p.source, p.id))
            started = time.perf_counter()
            if len(batch) > self.thread_threshold:
                alerts = await asyncio.to_thread(self._step, batch, now)
            else:
                alerts = self._step(batch, now)
            views = self.engine.narratives()
            TICK_SECONDS.observe(time.perf_counter() - started)
            self.posts_seen += len(batch)
            self.views = views
            states = Counter(view.state for view in views)
            for state in Lifecycle:
                NARRATIVES.labels(str(state)).set(states.get(state, 0))
            self._pending.extend(alerts)
            to_save = {view.key: view for view in views}
            for alert in self._pending:
                to_save.setdefault(alert.narrative.key, alert.narrative)
            at = self.engine.now or now
            persisted = False
            writing = self.may_write()
            hook = self.on_narratives if writing else None
            if self.persist and writing and at is not None:
                try:
                    if to_save:
                        await save_views(list(to_save.values()), at)
                    await retire_untracked([view.key for view in views], at)
                    persisted = True
                except Exception:
                    # Alerts stay pending: the dispatcher needs the narrative rows first.
                    log.exception(
                        "could not persist %d narratives; retrying next tick", len(to_save)
                    )
                    return TickResult(len(batch), views, alerts, False)
            if hook is not None and (views or self._pending):
                pending = list(self._pending)
                try:
                    await hook(views, pending)
                except Exception:
                    log.exception(
                        "narrative hook failed; %d alerts kept for next tick", len(pending)
                    )
                else:
                    self._pending = self._pending[len(pending) :]
            elif hook is None:
                self._pending.clear()
            return TickResult(len(batch), views, alerts, persisted)
