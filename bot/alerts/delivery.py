"""The delivery worker: sends pending Alert rows, off the scoring path.

Scoring only records alerts (bot/alerts/planning.py); this worker sends them in its own task.
Guarantees:
- Each row is sent at most once by us: one delivery pass at a time, and every per-chat task of
  a pass is finished or cancelled before the pass ends (a TaskGroup), so no task left over from
  a failed pass can send a row the next pass sends again. Rows are marked `sent` after the
  platform accepted them; a crash in between re-sends that one message after a restart
  (at-least-once at the platform edge).
- Flood control (Telegram RetryAfter, a Discord 429 it would not wait out) defers only that
  chat: its rows stay pending and the chat is left alone until `retry_after` has passed, while
  other chats are served. Nothing sleeps for flood control.
- Nothing is skipped silently: every row ends `sent`, `failed` or `skipped` with a reason, or
  stays `pending` (deferred) for a later pass.

Staleness (`max_age`) is wall time since the alert was *recorded*: it guards against sending
yesterday's news after a long outage, while a fast replay or a backlog records its alerts just
now and sends them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.alerts.cards import as_recorded
from bot.alerts.planning import facts_of, matches
from bot.alerts.sender import AlertSender, RetryLater, TargetGone, TargetMoved
from bot.metrics import ALERTS_FAILED, ALERTS_SENT, RATE_LIMIT_WAITS
from bot.service.narratives import NarrativeService
from bot.service.types import AlertCard, WatchEntry
from storage import alerts as alert_store
from storage import narrative_queries as nq
from storage import subscriptions as sub_store
from storage import watchlist as watch_store
from storage.models import Alert, AlertStatus, Narrative

log = logging.getLogger(__name__)

PAGE = 500
Chat = tuple[str, str]  # (platform, target)


class Outcome(enum.Enum):
    SENT = "sent"
    FAILED = "failed"  # could not be delivered; final
    SKIPPED = "skipped"  # deliberately not sent (stale, chat turned alerts off, hourly cap)
    DEFERRED = "deferred"  # still pending: flood control or a transient error; sent later


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0

    def add(self, outcome: Outcome, count: int = 1) -> None:
        match outcome:
            case Outcome.SENT:
                self.sent += count
            case Outcome.FAILED:
                self.failed += count
            case Outcome.SKIPPED:
                self.skipped += count
            case Outcome.DEFERRED:
                self.deferred += count

    def count(self, outcome: Outcome) -> int:
        return {
            Outcome.SENT: self.sent,
            Outcome.FAILED: self.failed,
            Outcome.SKIPPED: self.skipped,
            Outcome.DEFERRED: self.deferred,
        }[outcome]


@dataclass
class _Pass:
    """State of one delivery pass."""

    report: DeliveryReport
    cards: dict[int, AlertCard] = field(default_factory=dict)  # one card per narrative
    gone: dict[Chat, str] = field(default_factory=dict)  # chats that turned out unreachable


class DeliveryWorker:
    """Sends pending alerts in passes, in a background task woken after each tick."""

    def __init__(
        self,
        senders: Mapping[str, AlertSender],
        service: NarrativeService,
        *,
        chat_interval: float = 1.0,
        max_per_hour: int = 20,
        max_attempts: int = 5,
        max_retry_wait: float = 300.0,
        concurrency: int = 8,
        max_age: timedelta = timedelta(hours=6),
        idle_poll: float = 60.0,
        retry_delay: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.senders = dict(senders)
        self.service = service
        self.chat_interval = chat_interval  # seconds between two messages to one chat
        self.max_per_hour = max_per_hour  # per chat; beyond it alerts are skipped, not queued
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.max_age = max_age
        self.idle_poll = idle_poll  # a pass runs at least this often (e.g. after a failed one)
        self.retry_delay = retry_delay  # after a failed pass (the database is briefly gone)
        self.clock = clock
        self.sleep = sleep  # only for pacing messages to one chat
        self._next_slot: dict[Chat, float] = {}
        self._held: dict[Chat, float] = {}  # chat -> clock() before which it gets nothing
        self._limit = asyncio.Semaphore(concurrency)
        self._passing = asyncio.Lock()  # one pass at a time: no row sent twice
        self._wake = asyncio.Event()
        self._requested = 0  # wake-ups so far
        self._completed = 0  # wake-ups answered by a finished pass
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the worker ---------------------------------------------------------------------------
    def wake(self) -> None:
        """New alerts are recorded: run a pass soon (starts the worker if needed)."""
        self._requested += 1
        self._wake.set()
        self.start()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="alert-delivery")

    async def drain(self) -> None:
        """Wait until every wake-up so far is answered by a finished pass."""
        while self._completed < self._requested:
            self.start()
            self._progress.clear()
            await self._progress.wait()

    async def close(self) -> None:
        """Stop the worker; a pass in progress is cancelled and its unsent rows stay pending."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while True:
            timeout = self.idle_poll
            if self._held:
                timeout = max(0.0, min(timeout, min(self._held.values()) - self.clock()))
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            answering = self._requested
            try:
                await self.deliver_pending()
            except Exception:
                log.exception("alert delivery pass failed; pending alerts are kept")
                self._answer(answering)
                await asyncio.sleep(self.retry_delay)
                continue
            self._answer(answering)

    def _answer(self, requested: int) -> None:
        self._completed = max(self._completed, requested)
        self._progress.set()

    def held_until(self, platform: str, target: str) -> float | None:
        """The clock() time before which flood control keeps this chat waiting, if any."""
        until = self._held.get((platform, target))
        return until if until is not None and until > self.clock() else None

    # -- one pass -----------------------------------------------------------------------------
    async def deliver_pending(self) -> DeliveryReport:
        """Deliver every pending alert not held back, page by page (ids ascending keep each
        chat's order); chats are served in parallel, each chat in order."""
        async with self._passing:
            state = _Pass(DeliveryReport())
            now = self.clock()
            self._held = {chat: t for chat, t in self._held.items() if t > now}
            after = 0
            while True:
                page = await alert_store.pending(list(self.senders), PAGE, after)
                if not page:
                    return state.report
                after = page[-1].id
                groups: dict[Chat, list[Alert]] = {}
                for alert in page:
                    groups.setdefault((alert.platform, alert.target), []).append(alert)
                try:
                    async with asyncio.TaskGroup() as group:
                        for alerts in groups.values():
                            group.create_task(self._deliver_chat(alerts, state))
                except BaseExceptionGroup as failed:
                    # The other chats' tasks are already cancelled and finished here.
                    raise failed.exceptions[0] from failed

    async def _deliver_chat(self, alerts: list[Alert], state: _Pass) -> None:
        """One chat's alerts, in order and paced."""
        chat = (alerts[0].platform, alerts[0].target)
        if self.held_until(*chat) is not None:
            state.report.add(Outcome.DEFERRED, len(alerts))
            return
        async with self._limit:
            for alert in alerts:
                if chat in state.gone:
                    await alert_store.mark_final(alert, AlertStatus.FAILED, state.gone[chat])
                    state.report.add(Outcome.FAILED)
                elif self.held_until(*chat) is not None:
                    state.report.add(Outcome.DEFERRED)
                else:
                    state.report.add(await self._deliver(alert, state))

    async def _deliver(self, alert: Alert, state: _Pass) -> Outcome:
        sender = self.senders[alert.platform]
        narrative: Narrative = alert.narrative  # prefetched
        lang, matched = await self._audience(alert, narrative)
        if lang is None:
            await alert_store.mark_final(alert, AlertStatus.SKIPPED, "subscription turned off")
            return Outcome.SKIPPED
        now = datetime.now(UTC)
        if alert.created_at < now - self.max_age:
            await alert_store.mark_final(alert, AlertStatus.SKIPPED, "stale")
            return Outcome.SKIPPED
        hour_ago = now - timedelta(hours=1)
        recent = await alert_store.sent_since(alert.platform, alert.target, hour_ago)
        if recent >= self.max_per_hour:
            await alert_store.mark_final(alert, AlertStatus.SKIPPED, "chat rate limit")
            ALERTS_FAILED.labels(alert.platform, "rate_limited").inc()
            return Outcome.SKIPPED
        card = state.cards.get(narrative.id)
        if card is None:
            card = state.cards[narrative.id] = await self.service.alert_card(narrative.id)
        card = as_recorded(card, alert, narrative)
        if matched is not None:
            card = dataclasses.replace(card, matched_watch=matched)
        target = alert.target
        while True:
            await self._pace(alert.platform, target)
            await alert_store.attempt(alert)
            try:
                if alert.direct:
                    message_id = await sender.send_direct(target, card, lang)
                else:
                    message_id = await sender.send_alert(target, card, lang)
            except RetryLater as exc:
                RATE_LIMIT_WAITS.labels(alert.platform).inc()
                if alert.attempts >= self.max_attempts:
                    return await self._fail(alert, "rate_limited", "flood control")
                wait = min(max(exc.retry_after, 0.0), self.max_retry_wait)
                self._held[(alert.platform, target)] = self.clock() + wait
                await alert_store.note_error(alert, f"flood control: retry after {wait:g}s")
                log.info("%s flood control: chat deferred %.1fs", alert.platform, wait)
                return Outcome.DEFERRED
            except TargetMoved as exc:
                if alert.direct or alert.attempts >= self.max_attempts:
                    return await self._fail(alert, "moved", f"moved to {exc.new_target}")
                await sub_store.move(alert.platform, target, exc.new_target)
                log.info("%s chat moved to a new id; settings follow it", alert.platform)
                target = exc.new_target
                continue
            except TargetGone as exc:
                await sub_store.disable(alert.platform, alert.target, exc.reason)
                state.gone[(alert.platform, alert.target)] = f"gone: {exc.reason}"
                return await self._fail(alert, "gone", f"gone: {exc.reason}")
            except Exception as exc:  # network trouble, platform 5xx: a later pass retries
                detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                log.warning("alert %d to %s failed: %s", alert.id, alert.platform, detail)
                if alert.attempts >= self.max_attempts:
                    return await self._fail(alert, "error", detail)
                await alert_store.note_error(alert, detail)
                return Outcome.DEFERRED
            await alert_store.mark_sent(alert, message_id)
            ALERTS_SENT.labels(alert.platform, "direct" if alert.direct else "chat").inc()
            return Outcome.SENT

    async def _fail(self, alert: Alert, reason: str, error: str) -> Outcome:
        await alert_store.mark_final(alert, AlertStatus.FAILED, error)
        ALERTS_FAILED.labels(alert.platform, reason).inc()
        return Outcome.FAILED

    async def _audience(
        self, alert: Alert, narrative: Narrative
    ) -> tuple[str | None, WatchEntry | None]:
        """The language to send in, and for DMs the watch item that matched (None: don't send)."""
        if not alert.direct:
            sub = await sub_store.get(alert.platform, alert.target)
            if sub is None or not sub.enabled:
                return None, None
            return sub.language, None
        items = await watch_store.items(alert.platform, alert.target)
        launches = (await nq.tokens([narrative.id]))[narrative.id]
        facts = facts_of(narrative, (launch.symbol for _, launch in launches))
        for item in items:
            if matches(item, facts):
                return item.language, WatchEntry(item.kind, item.value, item.display)  # type: ignore[arg-type]
        # The user removed the item since the alert was recorded: not theirs to get any more.
        return None, None

    async def _pace(self, platform: str, target: str) -> None:
        """Space messages to one chat `chat_interval` apart."""
        slot = (platform, target)
        now = time.monotonic()
        at = self._next_slot.get(slot, 0.0)
        self._next_slot[slot] = max(now, at) + self.chat_interval
        if at > now:
            RATE_LIMIT_WAITS.labels(platform).inc()
            await self.sleep(at - now)
