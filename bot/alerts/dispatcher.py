"""AlertDispatcher: decides who gets an alert, records it, then delivers it.

Delivery guarantee: every alert is recorded as a `pending` Alert row (unique per narrative,
episode, platform, target and direct flag) *before* the platform call, and marked `sent` after.
A restart re-sends pending rows (`resume()`), so nothing is lost and nothing is sent twice by
us, except in one window: a crash after the platform accepted the message but before the row
was marked sent re-sends that one message (at-least-once at the platform edge).

What is due is judged per tick: a narrative that fired is planned as it was when it fired (the
AlertEvent's snapshot), so a tick spanning hours of stream time loses nothing. Staleness
(`max_age`) is wall time since the alert was *recorded*, never stream time since it fired: it
guards against sending yesterday's news after a long outage of the bot, while a fast replay or
a backlog records its alerts just now and sends them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.sender import AlertSender, RetryLater, TargetGone, TargetMoved
from bot.engine import AlertEvent, NarrativeView
from bot.leaders import normalize_handle
from bot.metrics import ALERTS_FAILED, ALERTS_SENT, RATE_LIMIT_WAITS
from bot.posts import format_time, parse_time
from bot.service.inputs import word_grams
from bot.service.narratives import NarrativeService
from bot.service.reasons import explain
from bot.service.types import AlertCard, Reason, WatchEntry
from storage import alerts as alert_store
from storage import narrative_queries as nq
from storage import subscriptions as sub_store
from storage import watchlist as watch_store
from storage.alerts import AlertKey
from storage.models import Alert, Narrative, Subscription, WatchItem
from storage.narratives import KEY_CHARS

log = logging.getLogger(__name__)

ALERTING_STATES = ("emerging", "viral")
PAGE = 500


@dataclass
class DispatchReport:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0  # still pending after a transient error; retried on the next call
    keys: list[AlertKey] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Due:
    """A narrative due for alerting: its row, the alert episode and the score it was due at."""

    row: Narrative
    episode: int
    score: float
    evidence: dict[str, Any]  # the narrative as it was when due (see `Alert.evidence`)


def alert_episode(state: str, episode: int) -> int:
    """The viral episode an alert belongs to.

    An emerging narrative is heading for its next viral episode (the engine increments the
    counter when it turns viral), so a low-threshold chat alerted while it was emerging is not
    alerted again when the same wave turns viral.
    """
    return episode + 1 if state == "emerging" else max(episode, 1)


class AlertDispatcher:
    def __init__(
        self,
        senders: Mapping[str, AlertSender],
        service: NarrativeService,
        *,
        dm_threshold: float = 60.0,
        chat_interval: float = 1.0,
        max_per_hour: int = 20,
        max_attempts: int = 5,
        max_retry_wait: float = 300.0,
        concurrency: int = 8,
        max_age: timedelta = timedelta(hours=6),
        background: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.senders = dict(senders)
        self.service = service
        self.dm_threshold = dm_threshold
        self.chat_interval = chat_interval  # seconds between two messages to one chat
        self.max_per_hour = max_per_hour  # per chat; beyond it alerts are skipped, not queued
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        # Pending alerts recorded longer ago (wall time: a long outage) are skipped, not sent.
        self.max_age = max_age
        self.background = background  # deliver from the hook in a background task
        self.sleep = sleep
        self._next_slot: dict[tuple[str, str], float] = {}
        self._limit = asyncio.Semaphore(concurrency)
        self._delivering = asyncio.Lock()  # one delivery pass at a time: no row sent twice
        self._worker: asyncio.Task[None] | None = None
        self._again = False

    # -- entry points -------------------------------------------------------------------------
    async def on_narratives(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> None:
        """The pipeline's hook, after each tick once the views are persisted.

        This tick's alerts are recorded before it returns. With `background=True` delivery then
        runs in a background task, so flood-control waits never hold up scoring; otherwise the
        hook returns once delivery is done.
        """
        if not self.background:
            await self.dispatch(views, alerts)
            return
        await self.record(views, alerts)
        self._kick()

    async def dispatch(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> DispatchReport:
        """Record and deliver every alert now due, in the foreground; returns what happened."""
        report = await self.record(views, alerts)
        await self._deliver_all(report)
        return report

    async def resume(self) -> DispatchReport:
        """At start: deliver alerts recorded but not sent before a restart."""
        report = DispatchReport()
        await self._deliver_all(report)
        return report

    async def drain(self) -> None:
        """Wait until background delivery has nothing left to do."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    async def close(self) -> None:
        """Stop background delivery; unsent alerts stay pending for `resume()`."""
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    def _kick(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._background(), name="alert-delivery")
        else:
            self._again = True  # alerts recorded during a pass: run one more pass after it

    async def _background(self) -> None:
        while True:
            self._again = False
            try:
                await self._deliver_all(DispatchReport())
            except Exception:  # e.g. the database is briefly gone: the next tick retries
                log.exception("alert delivery pass failed; pending alerts are kept")
            if not self._again:
                return

    async def record(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> DispatchReport:
        """Record (as pending) every alert now due; idempotent per narrative/episode/target.

        A narrative that fired in this tick is planned as it was when it fired (the event's
        state, score and episode), not as the persisted row left it at the end of the tick: one
        tick may span hours of stream time (a fast replay, a backlog after a takeover), in which
        a wave can turn viral and cool down again, or even fire twice. Besides that, every
        narrative in an alerting state at the end of the tick is planned as before (e.g.
        low-threshold chats hear about an emerging one; a chat whose threshold the score has
        only now reached).
        """
        report = DispatchReport()
        if not self.senders:
            return report
        ending = [v.key[:KEY_CHARS] for v in views if str(v.state) in ALERTING_STATES]
        keys = list(dict.fromkeys([e.narrative.key[:KEY_CHARS] for e in alerts] + ending))
        if not keys:
            return report
        rows = {r.key: r for r in await Narrative.filter(key__in=keys)}
        if len(rows) < len(keys):
            missing = len(keys) - len(rows)
            log.warning("alerts skipped for %d narrative(s) not persisted yet", missing)
        due: list[Due] = []
        for event in alerts:
            row = rows.get(event.narrative.key[:KEY_CHARS])
            if row is not None:  # an event is the viral episode it opened
                view = event.narrative
                seen = evidence(view.breakdown, view.authors, len(view.sources), event.fired_at)
                due.append(Due(row, event.episode, float(view.score), seen))
        for row in rows.values():
            if row.state in ALERTING_STATES:  # the end-of-tick state, as persisted
                seen = evidence(row.breakdown, row.authors, len(row.sources or ()), row.updated_at)
                episode = alert_episode(row.state, row.episode)
                due.append(Due(row, episode, float(row.score), seen))
        for key, score, seen in await self._plan(due):
            if await alert_store.record(key, score, seen) is not None:
                report.recorded += 1
                report.keys.append(key)
        return report

    # -- who gets what ------------------------------------------------------------------------
    async def _plan(self, due: list[Due]) -> list[tuple[AlertKey, float, dict[str, Any]]]:
        """Alert keys (with the score and evidence they were due at) not recorded before, in
        `due` order."""
        if not due:
            return []
        subs = await sub_store.enabled(self.senders)
        ids = list(dict.fromkeys(d.row.id for d in due))
        token_rows = await nq.tokens(ids)
        watchers: dict[int, list[WatchItem]] = {}
        planned: list[tuple[AlertKey, Due]] = []
        for d in due:
            row, episode, score = d.row, d.episode, d.score
            grams = narrative_grams(row)
            for sub in subs:
                if score >= sub.threshold and not _muted(sub, row, grams):
                    key = AlertKey(row.id, episode, sub.platform, sub.chat_id, False)
                    planned.append((key, d))
            if score >= self.dm_threshold:
                if row.id not in watchers:
                    symbols = {launch.symbol.upper() for _, launch in token_rows[row.id]}
                    watchers[row.id] = await self._watchers(row, symbols)
                for item in watchers[row.id]:
                    key = AlertKey(row.id, episode, item.platform, item.user_id, True)
                    planned.append((key, d))
        done = await alert_store.existing(ids, {k.episode for k, _ in planned})
        unique: dict[AlertKey, Due] = {}
        for key, d in planned:
            if key not in done:
                unique.setdefault(key, d)  # the first (fire-time) score and evidence win
        return [(key, d.score, d.evidence) for key, d in unique.items()]

    async def _watchers(self, row: Narrative, symbols: set[str]) -> list[WatchItem]:
        """Users whose watch items match the narrative, one item per user and platform."""
        items = await watch_store.matching("phrase", narrative_grams(row))
        if row.seed_leader:
            items += await watch_store.matching("leader", [normalize_handle(row.seed_leader)])
        items += await watch_store.matching("token", symbols | cashtags(row))
        chosen: dict[tuple[str, str], WatchItem] = {}
        for item in items:
            if item.platform in self.senders:
                chosen.setdefault((item.platform, item.user_id), item)
        result = []
        grams = narrative_grams(row)
        for platform in {p for p, _ in chosen}:
            users = [u for p, u in chosen if p == platform]
            # A user's own chat with the bot: unreachable (blocked) or muting this narrative.
            own = {s.chat_id: s for s in await sub_store.for_chats(platform, users)}
            for user in users:
                sub = own.get(user)
                if sub is None or not (sub.disabled_reason or _muted(sub, row, grams)):
                    result.append(chosen[(platform, user)])
        return result

    # -- delivery -----------------------------------------------------------------------------
    async def _deliver_all(self, report: DispatchReport) -> None:
        async with self._delivering:
            await self._deliver_pending(report)

    async def _deliver_pending(self, report: DispatchReport) -> None:
        """Deliver every pending alert, page by page (ids ascending keep each chat's order)."""
        cards: dict[int, AlertCard] = {}  # one card per narrative for this pass
        after = 0
        while True:
            page = await alert_store.pending(list(self.senders), PAGE, after)
            if not page:
                return
            after = page[-1].id
            groups: dict[tuple[str, str], list[Alert]] = {}
            for alert in page:
                groups.setdefault((alert.platform, alert.target), []).append(alert)
            await asyncio.gather(*(self._deliver_group(g, report, cards) for g in groups.values()))

    async def _deliver_group(
        self, alerts: list[Alert], report: DispatchReport, cards: dict[int, AlertCard]
    ) -> None:
        """One chat's alerts, in order and paced (chats deliver in parallel)."""
        async with self._limit:
            for alert in alerts:
                outcome = await self._deliver(alert, cards)
                setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome == "failed" and alert.error and alert.error.startswith("gone:"):
                    for rest in alerts[alerts.index(alert) + 1 :]:
                        await alert_store.mark_final(rest, "failed", alert.error)
                        report.failed += 1
                    return

    async def _deliver(self, alert: Alert, cards: dict[int, AlertCard]) -> str:
        sender = self.senders[alert.platform]
        narrative: Narrative = alert.narrative  # prefetched
        lang, matched = await self._language_and_match(alert, narrative)
        if lang is None:
            await alert_store.mark_final(alert, "skipped", "subscription turned off")
            return "skipped"
        now = datetime.now(UTC)
        if alert.created_at < now - self.max_age:
            await alert_store.mark_final(alert, "skipped", "stale")
            return "skipped"
        hour_ago = now - timedelta(hours=1)
        recent = await alert_store.sent_since(alert.platform, alert.target, hour_ago)
        if recent >= self.max_per_hour:
            await alert_store.mark_final(alert, "skipped", "chat rate limit")
            ALERTS_FAILED.labels(alert.platform, "rate_limited").inc()
            return "skipped"
        card = cards.get(narrative.id)
        if card is None:
            card = cards[narrative.id] = await self.service.alert_card(narrative)
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
                log.info("%s flood control: waiting %.1fs", alert.platform, wait)
                await self.sleep(wait)
                continue
            except TargetMoved as exc:
                if alert.direct or alert.attempts >= self.max_attempts:
                    return await self._fail(alert, "moved", f"moved to {exc.new_target}")
                await sub_store.move(alert.platform, target, exc.new_target)
                log.info("%s chat moved to a new id; settings follow it", alert.platform)
                target = exc.new_target
                continue
            except TargetGone as exc:
                await sub_store.disable(alert.platform, alert.target, exc.reason)
                return await self._fail(alert, "gone", f"gone: {exc.reason}")
            except Exception as exc:  # network trouble, platform 5xx: the next tick retries
                detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                log.warning("alert %d to %s failed: %s", alert.id, alert.platform, detail)
                if alert.attempts >= self.max_attempts:
                    return await self._fail(alert, "error", detail)
                await alert_store.note_error(alert, detail)
                return "deferred"
            await alert_store.mark_sent(alert, message_id)
            ALERTS_SENT.labels(alert.platform, "direct" if alert.direct else "chat").inc()
            return "sent"

    async def _fail(self, alert: Alert, reason: str, error: str) -> str:
        await alert_store.mark_final(alert, "failed", error)
        ALERTS_FAILED.labels(alert.platform, reason).inc()
        return "failed"

    async def _language_and_match(
        self, alert: Alert, narrative: Narrative
    ) -> tuple[str | None, WatchEntry | None]:
        """The language to send in, and for DMs the watch item that matched (None: don't send)."""
        if not alert.direct:
            sub = await sub_store.get(alert.platform, alert.target)
            if sub is None or not sub.enabled:
                return None, None
            return sub.language, None
        items = await watch_store.items(alert.platform, alert.target)
        grams = narrative_grams(narrative)
        leader = normalize_handle(narrative.seed_leader or "")
        tags = cashtags(narrative) | {
            launch.symbol.upper() for _, launch in (await nq.tokens([narrative.id]))[narrative.id]
        }
        for item in items:
            if (
                (item.kind == "phrase" and item.value in grams)
                or (item.kind == "leader" and item.value == leader)
                or (item.kind == "token" and item.value in tags)
            ):
                return item.language, WatchEntry(item.kind, item.value, item.display)  # type: ignore[arg-type]
        # The user removed the item since the alert was recorded: still theirs to get? No.
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


def as_recorded(card: AlertCard, alert: Alert, row: Narrative) -> AlertCard:
    """The card as of the wave the alert is about, when the narrative has moved on since.

    The card is built from the narrative's current row. After a tick spanning hours of stream
    time (or a late delivery) the row may already be cooling, or on a later episode; the alert
    then shows the score it was recorded at and its own episode, not today's numbers.
    """
    if (row.state == "viral" and row.episode == alert.episode) or (
        row.state == "emerging" and row.episode + 1 == alert.episode
    ):
        return card  # the row still describes this alert's wave
    reasons = reasons_then(alert.evidence, row, card) or card.reasons
    if alert.episode <= row.episode:  # the wave turned viral (the alert fired, or was due)
        return dataclasses.replace(
            card, state="viral", score=alert.score, episode=alert.episode, reasons=reasons
        )
    # Recorded while emerging; the wave has not (yet) turned viral.
    return dataclasses.replace(card, state="emerging", score=alert.score, reasons=reasons)


def evidence(
    breakdown: Mapping[str, Any] | None, authors: int, sources: int, at: datetime
) -> dict[str, Any]:
    """What an alert stores about its narrative at the moment it became due."""
    return {
        "breakdown": dict(breakdown or {}),
        "authors": int(authors),
        "sources": int(sources),
        "at": format_time(at),
    }


def reasons_then(
    seen: Mapping[str, Any] | None, row: Narrative, card: AlertCard
) -> tuple[Reason, ...]:
    """The reasons as they stood when the alert was due; () for alerts recorded without them."""
    if not seen or not isinstance(seen.get("breakdown"), dict):
        return ()
    try:
        at = parse_time(str(seen["at"]))
        authors, sources = int(seen["authors"]), int(seen["sources"])
    except (KeyError, TypeError, ValueError):
        return ()
    return explain(
        seen["breakdown"],
        authors=authors,
        sources=sources,
        leader=row.seed_leader,
        seed_at=row.seed_post_at,
        tokens=card.tokens.count,
        now=at,
    )


def _muted(sub: Subscription, row: Narrative, grams: set[str]) -> bool:
    leaders = set(sub.quiet_leaders or ())
    if row.seed_leader and normalize_handle(row.seed_leader) in leaders:
        return True
    quiet = set(sub.quiet_phrases or ())
    return bool(quiet & grams)


def narrative_grams(row: Narrative) -> set[str]:
    """Every word run of the narrative's phrases: a watched/muted phrase matches any of them."""
    grams: set[str] = set()
    for phrase in {row.key, row.phrase, *(row.phrases or ())}:
        grams |= word_grams(phrase)
    return grams


def cashtags(row: Narrative) -> set[str]:
    """Symbols the narrative itself is about ("$ghost" phrases)."""
    return {
        word[1:].upper()
        for phrase in {row.key, row.phrase, *(row.phrases or ())}
        for word in phrase.split()
        if word.startswith("$") and len(word) > 1
    }
