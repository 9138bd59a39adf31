"""`ghostwatch run`: assemble storage, engine, sources, dispatch and front ends; run until told.

Roles (see README "Running several processes"):
  all     everything in one process (the default); on PostgreSQL several `all` processes
          elect one active instance through the scorer lock, the others stand by.
  scorer  scoring, dispatch and front ends fed only by ingest processes (lock-elected too).
  ingest  read this process's GHOSTWATCH_SOURCES and write per-minute post batches for the
          scorer; needs PostgreSQL, any number may run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, Protocol, cast

from bot.alerts.console import ConsoleSender, ensure_console_subscription
from bot.alerts.dispatcher import AlertDispatcher
from bot.alerts.sender import AlertSender
from bot.config import ConfigError, Settings
from bot.engine import AlertEvent, EngineConfig, NarrativeEngine, NarrativeView
from bot.errors import FrontendStartError, one_line
from bot.leaders import configured_leaders, ordered_ids
from bot.ops.aggregates import AggregateFedPipeline, AggregateReader, IngestIntake
from bot.ops.checkpoint import CheckpointKeeper
from bot.ops.cursors import CheckpointedCursors
from bot.ops.health import HealthServer
from bot.ops.leaders import LeaderSync
from bot.ops.leadership import Leadership, is_postgres
from bot.ops.startup import install_signal_handlers, open_storage_with_retry
from bot.pipeline import ScoringPipeline, stream_clock
from bot.posts import Post
from bot.scheduler import ScanScheduler
from bot.service.narratives import NarrativeService
from bot.sources.factory import Sources
from bot.sources.spec import parse_leader_dids
from storage import db
from storage import leaders as leader_store
from storage.cursors import DbCursorStore

log = logging.getLogger("bot.app")

Role = Literal["all", "ingest", "scorer"]
EXIT_OK = 0
EXIT_LOST_LEADERSHIP = 3


AlertObserver = Callable[[Sequence[AlertEvent]], None]


class Frontend(Protocol):
    """A running chat front end: what the dispatcher sends alerts through, and its stop."""

    @property
    def sender(self) -> AlertSender: ...

    async def stop(self) -> None: ...


@dataclass
class Scoring:
    """The parts that exist only while this process holds the scorer role."""

    engine: NarrativeEngine
    pipeline: ScoringPipeline
    scheduler: ScanScheduler
    dispatcher: AlertDispatcher
    frontends: dict[str, Frontend]
    service: NarrativeService
    leaders: LeaderSync


def run_app(settings: Settings, role: str = "all") -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    if role not in ("all", "ingest", "scorer"):
        raise ConfigError(f"unknown role {role!r} (expected all, ingest or scorer)")
    return asyncio.run(App(settings, cast(Role, role)).run())


def engine_config(settings: Settings) -> EngineConfig:
    config = EngineConfig(alert_threshold=settings.alert_threshold)
    if settings.engine_warmup_minutes is not None:
        config = replace(config, warmup_minutes=settings.engine_warmup_minutes)
    return config


class App:
    def __init__(
        self,
        settings: Settings,
        role: Role = "all",
        *,
        console_alerts: bool = False,
        on_alerts: AlertObserver | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        # `ghostwatch demo`: print alerts to the console even while chat front ends run, and
        # let the caller see each tick's alerts once they are recorded (for its summary).
        self.console_alerts = console_alerts
        self.on_alerts = on_alerts
        self.db_url = settings.resolved_database_url
        self.stop_requested = asyncio.Event()
        self.phase = "starting"
        self.leadership = Leadership(self.db_url, settings.leader_retry_interval)
        self.health = HealthServer(settings.http_host, settings.http_port, self.ready_state)
        self.keeper = CheckpointKeeper(settings.checkpoint_interval, settings.checkpoint_keep)
        self.scoring: Scoring | None = None
        self.scheduler: ScanScheduler | None = None
        self.hook_failed = False  # the last tick's alerts may not be recorded yet
        self.producer = settings.instance_name or f"{socket.gethostname()}-{os.getpid()}"

    # -- health -------------------------------------------------------------------------------
    def ready_state(self) -> tuple[bool, str]:
        if self.phase == "running":
            return True, self.role
        if self.phase == "standby":
            return False, "standby: another process holds the scorer role"
        return False, self.phase

    # -- main ---------------------------------------------------------------------------------
    async def run(self) -> int:
        remove = install_signal_handlers(
            asyncio.get_running_loop(), lambda _name: self.stop_requested.set()
        )
        try:
            return await self._run()
        finally:
            remove()

    async def _run(self) -> int:
        s = self.settings
        if self.role != "all" and not is_postgres(self.db_url):
            raise ConfigError(
                f"--role {self.role} needs a PostgreSQL GHOSTWATCH_DATABASE_URL "
                "(several processes share it); use --role all with SQLite"
            )
        log.info(
            "ghostwatch starting (role %s, database %s)", self.role, db.redact_url(self.db_url)
        )
        await open_storage_with_retry(
            self.db_url,
            migrate=s.auto_migrate,
            retries=s.startup_retries,
            backoff=s.startup_backoff,
            stop=self.stop_requested,
        )
        try:
            try:
                await self.health.start()
            except OSError as exc:
                raise ConfigError(
                    f"GHOSTWATCH_HTTP_PORT: cannot listen on {s.http_host}:{s.http_port}: "
                    f"{one_line(exc)}"
                ) from None
            await NarrativeService.seed_leaders(configured_leaders(s.leaders, s.leaders_file))
            if self.role == "ingest":
                return await self._run_ingest()
            return await self._run_scorer()
        finally:
            self.phase = "stopped"
            await self.health.stop()
            await db.close()
            log.info("ghostwatch stopped")

    # -- ingest role --------------------------------------------------------------------------
    async def _run_ingest(self) -> int:
        cursors = CheckpointedCursors(DbCursorStore())
        intake = IngestIntake(self.producer, cursors)
        scheduler = ScanScheduler(
            replace_score_interval(self.settings, self.settings.aggregate_interval),
            intake,
            cursors=cursors,
        )
        self.scheduler = scheduler
        self._report_sources(scheduler.sources)
        await scheduler.start()
        self.phase = "running"
        log.info("ingest process %s writing post batches for the scorer", self.producer)
        await self.stop_requested.wait()
        self.phase = "stopping"
        await self._bounded(scheduler.stop(grace=self._grace()), "stopping sources")
        await self._bounded(intake.tick(), "flushing post batches")
        return EXIT_OK

    # -- scorer / all roles -------------------------------------------------------------------
    async def _run_scorer(self) -> int:
        self.leadership.start()
        await self._first(self.leadership.tried.wait())
        if not self.leadership.held and not self.stop_requested.is_set():
            self.phase = "standby"
            log.info("standing by: another process holds the scorer role (PostgreSQL lock)")
        if not await self._first(self.leadership.acquired.wait()):
            await self.leadership.stop()
            return EXIT_OK
        try:
            self.scoring = await self._start_scoring()
            self.phase = "running"
            log.info("ghostwatch running (role %s)", self.role)
            lost = self.leadership.lost
            if await self._first(lost.wait()) and lost.is_set():
                log.error("exiting: the scorer role was lost, so this process must not dispatch")
                await self._abandon(self.scoring)
                return EXIT_LOST_LEADERSHIP
            self.phase = "stopping"
            await self._stop_scoring(self.scoring)
            return EXIT_OK
        finally:
            await self.leadership.stop()

    async def _start_scoring(self) -> Scoring:
        s = self.settings
        leaders = LeaderSync(configured_ids(s), await leader_store.global_ids())
        config = engine_config(s)
        engine = await self.keeper.restore(config, leaders.handles) or NarrativeEngine(
            config, leaders.handles
        )
        if engine.posts_ingested == 0:
            log.info("engine starting cold (no usable checkpoint)")

        cursors = CheckpointedCursors(DbCursorStore())
        reader = AggregateReader()
        self.keeper.captures += [cursors.capture, reader.capture]

        def source_health() -> Any:  # dict snapshots; the service converts them (as_health)
            return self.scheduler.health.snapshot() if self.scheduler else []

        service = NarrativeService(
            health=source_health,
            clock=stream_clock(engine),
            default_threshold=s.alert_threshold,
            on_leaders_changed=leaders.changed,
            operators=s.operator_ids,
        )
        frontends = await self._start_frontends(service)
        senders: dict[str, AlertSender] = {p: f.sender for p, f in frontends.items()}
        if not senders or self.console_alerts:
            await ensure_console_subscription(s.alert_threshold)
            senders["console"] = ConsoleSender()
        dispatcher = AlertDispatcher(senders, service, dm_threshold=s.alert_threshold)

        async def on_narratives(views: list[NarrativeView], alerts: list[AlertEvent]) -> None:
            try:
                await dispatcher.on_narratives(views, alerts)
            except BaseException:
                self.hook_failed = True
                raise
            self.hook_failed = False
            if self.on_alerts is not None and alerts:
                self.on_alerts(alerts)
            # Only now are this tick's alerts recorded, so the engine may be checkpointed.
            await self.keeper.maybe_save(engine)

        pipeline = AggregateFedPipeline(
            engine,
            reader,
            on_narratives=on_narratives,
            before_tick=partial(leaders.refresh, engine.set_leaders),
            # After losing the scorer role, nothing more may be recorded (see _abandon).
            may_write=lambda: not self.leadership.lost.is_set(),
        )
        sources = Sources() if self.role == "scorer" else None
        scheduler = ScanScheduler(
            s, pipeline, cursors=cursors, sources=sources, leaders=leaders.x_handles
        )
        self.scheduler = scheduler
        self._report_sources(scheduler.sources)
        # Alerts pending from before a restart go out first (one pass: a chat under flood
        # control is deferred, not waited for); then the worker sends what each tick records.
        resumed = await dispatcher.resume()
        if resumed.sent or resumed.failed:
            log.info("resumed %d pending alert(s) from before the restart", resumed.sent)
        dispatcher.start()
        await scheduler.start()
        return Scoring(engine, pipeline, scheduler, dispatcher, frontends, service, leaders)

    async def _start_frontends(self, service: NarrativeService) -> dict[str, Frontend]:
        s = self.settings
        started: dict[str, Frontend] = {}
        if s.telegram_token is not None:
            from bot.telegram.app import start_telegram

            starting = start_telegram(s, service, post_sink=self._chat_posts)
            frontend = await self._start_one("telegram", starting)
            if frontend is not None:
                started["telegram"] = frontend
        if s.discord_token is not None:
            from bot.discord.bot import start_discord

            starting_discord = start_discord(s, service, post_sink=self._chat_posts)
            frontend = await self._start_one("discord", starting_discord)
            if frontend is not None:
                started["discord"] = frontend
        if s.telegram_token is None and s.discord_token is None:
            if self.console_alerts:
                return started
            log.warning(
                "no GHOSTWATCH_TELEGRAM_TOKEN or GHOSTWATCH_DISCORD_TOKEN: alerts are written "
                "to the console (standard output)"
            )
        elif not started:
            log.error("no chat platform could be started: alerts are written to the console")
        return started

    async def _start_one(self, platform: str, starting: Awaitable[Frontend]) -> Frontend | None:
        """Start one front end; a failure is one clear line and the other platform goes on."""
        try:
            return await asyncio.wait_for(starting, 60)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s", _platform_error(platform, exc))
            return None

    def _chat_posts(self, posts: Sequence[Post]) -> None:
        """Messages read in Telegram chats / Discord channels: scored like any source's posts."""
        # The front ends start before the scheduler; its sink only takes posts while it runs.
        if self.scheduler is not None:
            self.scheduler.add_posts(posts)

    def _report_sources(self, sources: Sources) -> None:
        for skipped in sources.skipped:
            log.warning("source skipped: %s", skipped)
        if self.role != "scorer" and not sources.all():
            log.warning("no sources configured: nothing will be ingested")

    async def _stop_scoring(self, scoring: Scoring) -> None:
        """Stop intake, final tick (records due alerts), last deliveries, checkpoint, close."""
        await self._bounded(scoring.scheduler.stop(grace=self._grace()), "stopping intake")
        # The final tick's alerts are recorded; give the worker a bounded time to send them
        # (what is left, e.g. a chat under flood control, stays pending for the next start).
        await self._bounded(scoring.dispatcher.drain(), "delivering the last alerts")
        await self._bounded(scoring.dispatcher.close(), "stopping alert delivery")
        if self.hook_failed:
            log.warning("last alerts not recorded; keeping the previous checkpoint")
        else:
            await self._bounded(self.keeper.save(scoring.engine), "saving engine checkpoint")
        for platform, frontend in scoring.frontends.items():
            await self._bounded(frontend.stop(), f"stopping {platform}")

    async def _abandon(self, scoring: Scoring) -> None:
        """Stop without recording anything or a checkpoint: another process is the scorer now.

        The pipeline stopped writing when the role was lost (its `may_write`), so the ticks
        still running or run by stopping neither persist narratives nor record alerts.
        """
        await self._bounded(scoring.dispatcher.close(), "stopping alert delivery")
        await self._bounded(scoring.scheduler.stop(grace=1.0), "stopping intake")
        for platform, frontend in scoring.frontends.items():
            await self._bounded(frontend.stop(), f"stopping {platform}")

    # -- helpers ------------------------------------------------------------------------------
    def _grace(self) -> float:
        return max(1.0, self.settings.shutdown_timeout / 2)

    async def _bounded(self, step: Awaitable[Any], what: str) -> None:
        try:
            await asyncio.wait_for(step, self.settings.shutdown_timeout)
        except TimeoutError:
            log.warning(
                "%s took longer than %.0f s; moving on", what, self.settings.shutdown_timeout
            )
        except Exception as exc:
            log.warning("%s failed: %s", what, one_line(exc))

    async def _first(self, other: Awaitable[Any]) -> bool:
        """Wait for `other` or a stop request; True if `other` finished first."""
        stop = asyncio.ensure_future(self.stop_requested.wait())
        task = asyncio.ensure_future(other)
        done, pending = await asyncio.wait({stop, task}, return_when=asyncio.FIRST_COMPLETED)
        for future in pending:
            future.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await future
        return task in done and not self.stop_requested.is_set()


def configured_ids(settings: Settings) -> list[str]:
    """The configured leaders' identities, shipped first, then configuration (bot/leaders.py)."""
    dids = parse_leader_dids(settings.bluesky_leader_dids)
    bluesky = [f"bluesky:{handle}" for handle in dids.values()]
    return ordered_ids(configured_leaders(settings.leaders, settings.leaders_file), bluesky)


def replace_score_interval(settings: Settings, seconds: float) -> Settings:
    """Settings whose scoring tick (for an ingest process: the batch flush) runs every `seconds`."""
    return settings.model_copy(update={"score_interval": seconds})


def _platform_error(platform: str, exc: BaseException) -> str:
    """One line for a front end that did not start (no token, no traceback)."""
    if isinstance(exc, FrontendStartError):
        return f"{exc} ({platform} disabled)"
    text = one_line(exc)  # e.g. a time-out, or a configuration error before connecting
    if not text.lower().startswith(platform):
        text = f"{platform}: cannot start: {text}"
    return f"{text} ({platform} disabled)"


__all__: Sequence[str] = ("App", "engine_config", "run_app")
