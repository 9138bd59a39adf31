"""APScheduler jobs that drive the sources, the scoring tick, token matching and pruning."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.metrics import POSTS_INGESTED, TOKENS_SEEN
from bot.pipeline import PostIntake
from bot.posts import Post
from bot.sources.base import CursorStore, MemoryCursorStore, PollingSource, StreamSource
from bot.sources.factory import Sources, build_sources
from bot.sources.health import HealthRegistry, safe_traceback
from bot.sources.http import BreakerOpenError, HttpClient, PayloadError, UpstreamError
from bot.tokens.matcher import match_tokens
from bot.tokens.types import TokenLaunch
from storage import tokens as token_store
from storage.narratives import prune_score_points

log = logging.getLogger(__name__)

STREAM_HEALTHY_AFTER = 60.0  # a stream that ran this long restarts without backoff
MATCH_LOOKBACK = timedelta(hours=24)
PRUNE_INTERVAL = 3600.0


class ScanScheduler:
    """Runs every configured source and the scoring loop inside the bot's event loop."""

    def __init__(
        self,
        settings: Settings,
        pipeline: PostIntake,
        *,
        http: HttpClient | None = None,
        cursors: CursorStore | None = None,
        sources: Sources | None = None,
        leaders: Callable[[], Iterable[str]] = list,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self._own_http = http is None
        self.http = http or HttpClient(health=HealthRegistry(), timeout=settings.http_timeout)
        self.health = self.http.health
        for secret in (
            settings.x_bearer_token,
            settings.reddit_client_secret,
            settings.mastodon_token,
        ):
            if secret is not None:
                self.health.add_secret(secret.get_secret_value())
        self.cursors = cursors or MemoryCursorStore()
        self.sources = sources or build_sources(
            settings,
            http=self.http,
            cursors=self.cursors,
            phrases=lambda: pipeline.phrases(5),
            leaders=leaders,
        )
        self._token_ids = {id(s) for s in self.sources.tokens}
        self.pending_launches: list[TokenLaunch] = []
        self.score_points_days = settings.score_history_days
        self._scheduler: AsyncIOScheduler | None = None
        self._streams: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._intake = False

    # -- sinks --------------------------------------------------------------------------------
    def add_posts(self, posts: Iterable[Post]) -> None:
        if self._intake:
            self.pipeline.add(list(posts))

    def add_launches(self, launches: Iterable[TokenLaunch]) -> None:
        if self._intake:
            self.pending_launches.extend(launches)

    # -- jobs ---------------------------------------------------------------------------------
    async def poll_source(self, source: PollingSource[Any]) -> int:
        """One poll with health bookkeeping; never raises (a failure retries next interval)."""
        if not self.http.breaker(source.name).allow():
            return 0
        try:
            items = await source.poll()
        except BreakerOpenError:
            return 0
        except (UpstreamError, PayloadError) as exc:
            # already counted by the HTTP layer, which builds these messages from safe parts
            log.warning("source %s: %s", source.name, exc)
            return 0
        except Exception as exc:
            self.http.failed(source.name, exc)
            # the message is cleaned and the traceback has no messages: both may quote a URL
            log.error(
                "source %s failed: %s\n%s",
                source.name,
                self.health.get(source.name).last_error,
                safe_traceback(exc),
            )
            return 0
        self.health.success(source.name, len(items))
        if id(source) in self._token_ids:
            TOKENS_SEEN.labels(source.name).inc(len(items))
            self.add_launches(items)
        else:
            POSTS_INGESTED.labels(source.name).inc(len(items))
            self.add_posts(items)
        return len(items)

    async def supervise(self, source: StreamSource[Any]) -> None:
        """Run a stream forever, restarting it with exponential backoff after each drop."""
        sink: Callable[[Any], None] = (
            self.add_launches if id(source) in self._token_ids else self.add_posts
        )
        failures = 0
        while self._intake and not source.finished:
            breaker = self.http.breaker(source.name)
            if not breaker.allow():
                await asyncio.sleep(breaker.seconds_left())
                continue
            started = time.monotonic()
            try:
                await source.run(sink)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.http.failed(source.name, exc)
                log.warning(
                    "stream %s dropped: %s", source.name, self.health.get(source.name).last_error
                )
            if source.finished or not self._intake:
                break
            failures = 0 if time.monotonic() - started >= STREAM_HEALTHY_AFTER else failures + 1
            delay = self.http.backoff(min(failures, 8)) if failures else 0.0
            if delay:
                until = datetime.now(UTC) + timedelta(seconds=delay)
                if self.health.get(source.name).state != "open":
                    self.health.set_state(source.name, "backoff", until)
                await asyncio.sleep(delay)

    async def score(self) -> None:
        await self.pipeline.tick()

    async def match_tokens(self) -> int:
        """Store new launches and match recent ones against the current narratives."""
        launches, self.pending_launches = self.pending_launches, []
        refs = self.pipeline.narrative_refs()
        if launches:
            await token_store.upsert_launches(launches)
        if not refs:
            return 0
        recent = await token_store.recent_launches(datetime.now(UTC) - MATCH_LOOKBACK)
        matches = match_tokens(recent, refs)
        return await token_store.save_matches(matches)

    async def prune(self) -> None:
        cutoff = datetime.now(UTC) - timedelta(days=self.score_points_days)
        removed = await prune_score_points(cutoff)
        if removed:
            log.info("pruned %d score points older than %s", removed, cutoff.date())

    def _guarded(
        self, name: str, job: Callable[[], Awaitable[Any]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed; it runs again at its next interval", name)
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    # -- lifecycle ----------------------------------------------------------------------------
    async def run_once(self) -> None:
        """Poll every polling source once, match tokens and score (a manual scan)."""
        was = self._intake
        self._intake = True
        try:
            await asyncio.gather(*(self.poll_source(s) for s in self.sources.polling))
            await self.pipeline.tick()
            await self.match_tokens()
        finally:
            self._intake = was

    async def start(self) -> None:
        if self._scheduler is not None:
            return
        self._intake = True
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        now = datetime.now(UTC)
        defaults = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        for source in self.sources.polling:
            scheduler.add_job(
                self._guarded(f"poll:{source.name}", functools.partial(self.poll_source, source)),
                IntervalTrigger(seconds=source.interval),
                id=f"poll:{source.name}",
                next_run_time=now,
                **defaults,
            )
        score_every = self.settings.score_interval
        scheduler.add_job(
            self._guarded("score", self.score),
            IntervalTrigger(seconds=score_every),
            id="score",
            next_run_time=now + timedelta(seconds=min(score_every, 5.0)),
            **defaults,
        )
        scheduler.add_job(
            self._guarded("tokens", self.match_tokens),
            IntervalTrigger(seconds=self.settings.poll_interval),
            id="tokens",
            **defaults,
        )
        scheduler.add_job(
            self._guarded("prune", self.prune),
            IntervalTrigger(seconds=PRUNE_INTERVAL),
            id="prune",
            **defaults,
        )
        scheduler.start()
        self._scheduler = scheduler
        for stream in self.sources.streams:
            self._streams[stream.name] = asyncio.create_task(
                self.supervise(stream), name=f"stream:{stream.name}"
            )
        names = ", ".join(s.name for s in self.sources.all()) or "none"
        log.info("scan scheduler started: sources %s; scoring every %.0fs", names, score_every)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop intake first, let running jobs finish, then a final tick and token flush."""
        self._intake = False
        if self._scheduler is not None:
            self._scheduler.pause()
        for task in self._streams.values():
            task.cancel()
        streams = list(self._streams.values())
        self._streams.clear()
        running = [t for t in self._running if t is not asyncio.current_task()]
        if streams or running:
            await asyncio.wait([*streams, *running], timeout=grace)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for job, name in ((self.pipeline.tick, "final tick"), (self.match_tokens, "token flush")):
            try:
                await job()
            except Exception:
                log.exception("%s failed during shutdown", name)
        for source in self.sources.all():
            self.health.set_state(source.name, "stopped")
        if self._own_http:
            await self.http.close()
