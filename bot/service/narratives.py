"""NarrativeService: every chat command, answered as plain data for any front end."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine import Lifecycle, canonicalize
from bot.i18n import SUPPORTED
from bot.leaders import DEFAULT_LEADERS, LeaderInfo
from bot.service import charts, follows, inputs, reasons
from bot.service.errors import (
    BadArgument,
    FollowsInGroupsOnly,
    LeaderConfigured,
    LeaderLimitReached,
    NoAlertChannel,
    NotAdmin,
    NotOperator,
    NotWatching,
    UnknownLeader,
    UnknownNarrative,
    WatchLimitReached,
)
from bot.service.health import as_health
from bot.service.rows import (
    leader_of,
    post_ref,
    series_of,
    settings_of,
    summarize_tokens,
    token_infos,
    trend,
)
from bot.service.sparkline import sparkline
from bot.service.types import (
    AlertCard,
    Caller,
    Choice,
    CooledNarrative,
    GhostsResult,
    LeaderChange,
    LeaderList,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    SettingsScope,
    SourceHealth,
    StatusReport,
    SubscriptionSettings,
    TokenInfo,
    UnwatchResult,
    WatchEntry,
    WatchList,
    WatchResult,
)
from storage import alerts as alert_store
from storage import db
from storage import leaders as leader_store
from storage import narrative_queries as nq
from storage import server_subscriptions as server_store
from storage import subscriptions as sub_store
from storage import watchlist as watch_store
from storage.models import Narrative

log = logging.getLogger(__name__)

LISTED_STATES = (Lifecycle.EMERGING, Lifecycle.VIRAL, Lifecycle.COOLING)
QUERY_CHARS = 200
QUIET_LIMIT = 50
TREND_POINTS = 6
RECENT_POINTS = 12  # newest scores a summary uses: TREND_POINTS for the trend, 12 for a sparkline
CHART_HOURS = 48
RECENT_WINDOW = timedelta(hours=24)  # a quiet /ghosts lists what alerted within this
NAME_SCAN = 500  # recent narratives whose names a /narrative lookup compares


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NarrativeService:
    """Reads narratives from storage and keeps per-user and per-chat settings."""

    def __init__(
        self,
        *,
        health: Callable[[], Iterable[Any]] | None = None,  # SourceHealth or look-alikes
        clock: Callable[[], datetime] = _utcnow,
        watch_limit: int = 50,
        watch_chars: int = 100,
        chat_leader_limit: int = 50,
        default_threshold: float = 60.0,
        render_charts: bool = True,
        on_leaders_changed: Callable[[], None] | None = None,
        operators: Iterable[str] = (),
    ) -> None:
        self._health = health
        # Told when an operator changes the global leader set, so the engine follows it (see
        # bot/app.py). A chat's own follow list never reaches the engine.
        self.on_leaders_changed = on_leaders_changed
        self.operators = frozenset(operators)  # GHOSTWATCH_OPERATORS: "platform:user id"
        self.clock = clock
        self.watch_limit = watch_limit
        self.watch_chars = watch_chars
        self.chat_leader_limit = chat_leader_limit
        self.default_threshold = default_threshold
        self.render_charts = render_charts
        self.charts = charts.ChartRenderer()

    # -- narratives ---------------------------------------------------------------------------
    async def ghosts(
        self,
        window: timedelta = timedelta(hours=6),
        limit: int = 10,
        caller: Caller | None = None,
    ) -> GhostsResult:
        """Emerging, viral and cooling narratives updated within `window`, best first.

        With a caller, narratives with posts by accounts that chat follows are marked.
        """
        now = self.clock()
        rows = await nq.ranked(LISTED_STATES, now - window, max(1, min(limit, 25)))
        summaries = await self._summaries(rows)
        recent = () if summaries else await self.recently_alerted(now=now)
        result = GhostsResult(
            window_minutes=int(window.total_seconds() // 60),
            narratives=tuple(summaries),
            generated_at=now,
            recent=recent,
            recent_hours=int(RECENT_WINDOW.total_seconds() // 3600),
        )
        return follows.mark_ghosts(result, await self._follows(caller))

    async def recently_alerted(
        self, window: timedelta | None = None, limit: int = 10, *, now: datetime | None = None
    ) -> tuple[CooledNarrative, ...]:
        """Narratives that alerted and were still updated within `window` (24 h), newest first.

        `ghosts` lists them when nothing is live, so a quiet answer still shows what fired.

        Peak: the highest stored score in the window. Cooled: the last score point at or above
        the alert threshold, so "cooled 40 min ago" means its score fell below the line then.
        """
        now = now or self.clock()
        since = now - (window or RECENT_WINDOW)
        rows = await nq.alerted_since(since, max(1, min(limit, 25)))
        history = await nq.score_history([row.id for row in rows], since)
        out = []
        for row in rows:
            points = history.get(row.id, [])
            if points:
                peak = max(points, key=lambda point: (point.score, point.at))
                above = [p for p in points if p.score >= self.default_threshold]
                cooled_at = above[-1].at if above else points[-1].at
                peak_score, peak_at = float(peak.score), peak.at
            else:
                peak_score, peak_at, cooled_at = float(row.score), row.updated_at, row.updated_at
            out.append(
                CooledNarrative(
                    label=row.label,
                    peak_score=peak_score,
                    peak_at=peak_at,
                    cooled_at=min(cooled_at, now),
                    state=row.state,
                    ref=str(row.id),
                )
            )
        out.sort(key=lambda item: item.cooled_at, reverse=True)
        return tuple(out[:limit])

    async def narrative(self, query: str, caller: Caller | None = None) -> NarrativeDetail:
        """One narrative in depth, found by phrase, label or a fragment of its key."""
        row = await self._find(query)
        return follows.mark_detail(await self._detail(row), await self._follows(caller))

    async def narrative_by_ref(self, ref: str, caller: Caller | None = None) -> NarrativeDetail:
        row = await self._by_ref(ref)
        return follows.mark_detail(await self._detail(row), await self._follows(caller))

    async def _follows(self, caller: Caller | None) -> dict[str, str]:
        if caller is None or caller.private:
            return {}
        rows = await leader_store.chat_leaders(caller.platform, caller.scope_id)
        return follows.follow_map(r.handle for r in rows)

    async def _find(self, query: str) -> Narrative:
        text = " ".join(query.split())
        if not text:
            raise BadArgument("narrative", "bad.empty")
        if len(text) > QUERY_CHARS or inputs.has_unsafe_chars(text):
            raise BadArgument("narrative", "bad.text")
        canonical = canonicalize(text)
        if not canonical:
            raise UnknownNarrative(query=text)
        row = await nq.by_key_or_phrase(canonical)
        if row is None:
            for nid, label, phrases in await nq.recent_names(NAME_SCAN):
                if canonical in phrases or canonicalize(label) == canonical:
                    row = await nq.by_id(nid)
                    break
        if row is None:
            close = await nq.containing(canonical, 1)
            row = close[0] if close else None
        if row is None:
            raise UnknownNarrative(query=text)
        return row

    async def autocomplete(self, prefix: str, limit: int = 25) -> tuple[Choice, ...]:
        """Tracked narratives whose phrase contains what the user typed so far."""
        text = " ".join(prefix.split())[:QUERY_CHARS]
        if text and not inputs.has_unsafe_chars(text):
            canonical = canonicalize(text) or text.lower()
            rows = await nq.containing(canonical, limit)
            if len(rows) < limit:
                seen = {r.id for r in rows}
                more = await nq.containing(text.lower(), limit)
                rows += [r for r in more if r.id not in seen][: limit - len(rows)]
        else:
            rows = await nq.ranked(LISTED_STATES, self.clock() - timedelta(hours=48), limit)
        return tuple(Choice(name=r.label[:100], value=r.label[:100]) for r in rows)

    async def _by_ref(self, ref: str) -> Narrative:
        row = await nq.by_id(int(ref)) if ref.isdigit() and len(ref) < 19 else None
        if row is None:
            raise UnknownNarrative(query=ref[:40])
        return row

    async def _by_id(self, narrative_id: int) -> Narrative:
        row = await nq.by_id(narrative_id)
        if row is None:
            raise UnknownNarrative(query=str(narrative_id))
        return row

    async def _summaries(self, rows: list[Narrative]) -> list[NarrativeSummary]:
        ids = [r.id for r in rows]
        now = self.clock()
        scores = await nq.last_scores(ids, now - timedelta(hours=CHART_HOURS), RECENT_POINTS)
        token_rows = await nq.tokens(ids)
        return [
            self._summary(r, scores.get(r.id, []), token_infos(token_rows.get(r.id, [])))
            for r in rows
        ]

    def _summary(
        self, row: Narrative, scores: list[float], tokens: list[TokenInfo]
    ) -> NarrativeSummary:
        # The newest bucket is still filling; judge shape and direction on complete ones.
        counts = [float(n) for _, n in series_of(row.series)][:-1]
        return NarrativeSummary(
            key=row.key,
            label=row.label,
            phrase=row.phrase,
            state=row.state,
            score=float(row.score),
            trend=trend(row.state, scores[-TREND_POINTS:], counts[-TREND_POINTS:]),
            sparkline=sparkline(counts or scores),
            leader=row.seed_leader,
            seed_post_url=row.seed_post_url,
            authors=int(row.authors),
            mentions=int(row.mentions),
            sources=tuple(row.sources or ()),
            tokens=summarize_tokens(tokens),
            episode=int(row.episode),
            first_seen=row.first_seen,
            updated_at=row.updated_at,
            ref=str(row.id),
            phrases=tuple(row.phrases or ()),
            posters=follows.poster_ids(row.top_posts),
        )

    async def _detail(self, row: Narrative) -> NarrativeDetail:
        now = self.clock()
        since = now - timedelta(hours=CHART_HOURS)
        scores = (await nq.last_scores([row.id], since, RECENT_POINTS))[row.id]
        tokens = token_infos((await nq.tokens([row.id]))[row.id])
        summary = self._summary(row, scores, tokens)
        posts = [p for p in (post_ref(d) for d in row.top_posts or []) if p is not None]
        dated = [p for p in posts if p.created_at is not None]
        first = min(dated, key=lambda p: p.created_at or now) if dated else None
        seed_url, seed_leader = row.seed_post_url, row.seed_leader
        if seed_url and seed_leader and (first is None or first.url != seed_url):
            seed = next((p for p in posts if p.url == seed_url), None)
            first = seed or PostRef(seed_leader, "", "", seed_url, row.seed_post_at)
        top = tuple(sorted(posts, key=lambda p: -p.engagement)[:5])
        chart = None
        if self.render_charts:
            key = (row.id, row.updated_at)  # per narrative and scoring tick
            chart = await self.charts.chart(key, row.label, lambda: self._chart_series(row, since))
        return NarrativeDetail(
            summary=summary,
            reasons=self._reasons(row, len(tokens), now),
            phrases=tuple(row.phrases or (row.phrase,)),
            first_post=first,
            top_posts=top,
            tokens=tuple(sorted(tokens, key=lambda t: t.launched_at or now)),
            chart_png=chart,
        )

    def _reasons(self, row: Narrative, tokens: int, now: datetime) -> tuple[Any, ...]:
        return reasons.explain(
            row.breakdown or {},
            authors=int(row.authors),
            sources=len(row.sources or ()),
            leader=row.seed_leader,
            seed_at=row.seed_post_at,
            tokens=tokens,
            now=now,
        )

    async def _chart_series(self, row: Narrative, since: datetime) -> charts.Series | None:
        """What the chart draws: the score history, else the mention counts the row keeps."""
        points = await nq.chart_points(row.id, since)
        if points:
            return (
                [at for at, _, _ in points],
                [float(n) for _, _, n in points],
                [score for _, score, _ in points],
            )
        series = series_of(row.series)
        if not series:
            return None
        return [t for t, _ in series], [float(n) for _, n in series], [None] * len(series)

    async def alert_card(self, narrative_id: int, matched: WatchEntry | None = None) -> AlertCard:
        """What an alert about a narrative shows now (the dispatcher renders it per platform)."""
        row = await self._by_id(narrative_id)
        tokens = token_infos((await nq.tokens([row.id]))[row.id])
        return AlertCard(
            key=row.key,
            label=row.label,
            phrase=row.phrase,
            score=float(row.score),
            state=row.state,
            episode=int(row.episode),
            reasons=self._reasons(row, len(tokens), self.clock()),
            leader=row.seed_leader,
            seed_post_url=row.seed_post_url,
            tokens=summarize_tokens(tokens),
            details_command=f"/narrative {' '.join(row.label.split())[:100]}",
            matched_watch=matched,
            ref=str(row.id),
            phrases=tuple(row.phrases or ()),
        )

    async def hello(self, caller: Caller) -> None:
        """The user (re)started a private chat: direct messages reach them again."""
        if caller.private:
            await sub_store.clear_gone(caller.platform, caller.user_id)

    # -- watch lists --------------------------------------------------------------------------
    async def watch(self, caller: Caller, text: str) -> WatchResult:
        entry = inputs.parse_watch(text, "watch", self.watch_chars)
        return await self._add_watch(caller, entry)

    async def watch_ref(self, caller: Caller, ref: str) -> WatchResult:
        """Watch a narrative's phrase (the "Watch" button on an alert)."""
        row = await self._by_ref(ref)
        display = " ".join(row.label.split())[: self.watch_chars]
        entry = WatchEntry("phrase", row.phrase[: self.watch_chars], display)
        return await self._add_watch(caller, entry)

    async def _add_watch(self, caller: Caller, entry: WatchEntry) -> WatchResult:
        item, added, count = await watch_store.add(
            caller.platform,
            caller.user_id,
            entry.kind,
            entry.value,
            entry.display,
            caller.language,
            self.watch_limit,
        )
        if item is None:
            raise WatchLimitReached(limit=self.watch_limit)
        # The user talks to us again: direct messages to them may work again.
        await sub_store.clear_gone(caller.platform, caller.user_id)
        stored = WatchEntry(entry.kind, item.value, item.display)
        return WatchResult(stored, added, count, self.watch_limit)

    async def unwatch(self, caller: Caller, text: str) -> UnwatchResult:
        entry = inputs.parse_watch(text, "unwatch", self.watch_chars)
        removed = await watch_store.remove(caller.platform, caller.user_id, entry.kind, entry.value)
        if not removed:
            raise NotWatching(value=entry.display)
        return UnwatchResult(entry, True)

    async def watchlist(self, caller: Caller) -> WatchList:
        rows = await watch_store.items(caller.platform, caller.user_id)
        entries = tuple(WatchEntry(r.kind, r.value, r.display) for r in rows)  # type: ignore[arg-type]
        return WatchList(entries, self.watch_limit)

    # -- chat subscriptions -------------------------------------------------------------------
    async def subscription(self, caller: Caller) -> SubscriptionSettings:
        """The alert settings of the caller's chat (of a server: its alert channel's)."""
        chat_id = await self._alert_chat(caller)
        sub = await sub_store.get(caller.platform, chat_id) if chat_id is not None else None
        if sub is None:
            return SubscriptionSettings(
                caller.platform,
                chat_id or caller.chat_id,
                subscribed=False,
                enabled=False,
                threshold=self.default_threshold,
                language=caller.language,
                quiet_leaders=(),
                quiet_phrases=(),
                disabled_reason=None,
            )
        return settings_of(sub)

    async def set_alerts(self, caller: Caller, on: bool) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        changes: dict[str, Any] = {"enabled": on}
        if on:
            changes["disabled_reason"] = None
        return await self._change(caller, chat_id, **changes)

    async def set_threshold(self, caller: Caller, value: float | int | str) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        threshold = inputs.parse_threshold(value)
        return await self._change(caller, chat_id, threshold=threshold)

    async def set_language(self, caller: Caller, language: str) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        lang = language.strip().lower()
        if lang not in SUPPORTED:
            raise BadArgument("alerts", "bad.language")
        return await self._change(caller, chat_id, language=lang)

    async def quiet(self, caller: Caller, text: str, mute: bool = True) -> SubscriptionSettings:
        """Mute (or unmute) a leader ("@handle") or phrase in this chat's alerts."""
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        value = inputs.clean_input(text, "alerts", self.watch_chars)
        defaults = self._defaults(caller)
        sub = await sub_store.upsert(caller.platform, chat_id, defaults=defaults)
        if value.startswith("@"):
            field, item = "quiet_leaders", inputs.parse_handle(value, "alerts")
        else:
            field, item = "quiet_phrases", canonicalize(value)
            if not item:
                raise BadArgument("alerts", "bad.empty")
        current: list[str] = list(getattr(sub, field) or [])
        if mute and item not in current:
            if len(current) >= QUIET_LIMIT:
                raise BadArgument("alerts", "bad.text")
            current.append(item)
        elif not mute:
            if item not in current:
                raise NotWatching(value=value)
            current.remove(item)
        return settings_of(await sub_store.update(sub, **{field: current}))

    async def set_alert_channel(self, caller: Caller, channel_id: str) -> SubscriptionSettings:
        """A server's alerts go to `channel_id` from now on, and off in its other channels."""
        if not caller.is_admin or caller.guild_id is None:
            raise NotAdmin()
        settings = await self._change(caller, channel_id, enabled=True, disabled_reason=None)
        await server_store.switch_off_others(caller.platform, caller.guild_id, channel_id)
        return settings

    async def unreachable_channels(self, caller: Caller) -> tuple[SubscriptionSettings, ...]:
        """Alert channels of the caller's server that were disabled because posting failed."""
        if caller.guild_id is None:
            return ()
        rows = await server_store.unreachable(caller.platform, caller.guild_id)
        return tuple(settings_of(row) for row in rows)

    async def direct_messages_closed(self, caller: Caller) -> bool:
        """Direct messages to the caller failed (DMs closed) since they last added a watch item."""
        gone = await sub_store.gone_targets(caller.platform, [caller.user_id])
        return caller.user_id in gone

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The platform gave the chat a new id (Telegram group → supergroup): keep its settings."""
        await sub_store.move(platform, old_chat_id, new_chat_id)
        await leader_store.move_chat(platform, old_chat_id, new_chat_id)

    async def _alert_chat(self, caller: Caller) -> str | None:
        """The chat whose alert settings the caller reads and changes: the caller's own chat, or
        for a whole server its alert channel (None while an admin has chosen none)."""
        if caller.scope is not SettingsScope.GUILD:
            return caller.chat_id
        return await server_store.alert_channel(caller.platform, caller.scope_id)

    async def _settings_chat(self, caller: Caller) -> str:
        chat_id = await self._alert_chat(caller)
        if chat_id is None:
            raise NoAlertChannel()
        return chat_id

    async def _change(self, caller: Caller, chat_id: str, **changes: Any) -> SubscriptionSettings:
        """Apply `changes` to a chat's subscription, creating it with the caller's defaults."""
        sub = await sub_store.upsert(
            caller.platform, chat_id, defaults=self._defaults(caller), **changes
        )
        return settings_of(sub)

    def _defaults(self, caller: Caller) -> dict[str, Any]:
        return {
            "guild_id": caller.guild_id,
            "threshold": self.default_threshold,
            "language": caller.language if caller.language in SUPPORTED else "en",
            "enabled": True,
        }

    # -- leaders ------------------------------------------------------------------------------
    @staticmethod
    async def seed_leaders(leaders: Iterable[LeaderInfo] = DEFAULT_LEADERS) -> int:
        """Store the global (shipped + configured) leaders; call once at start-up."""
        return await leader_store.seed_defaults(leaders)

    async def leaders(self, caller: Caller) -> LeaderList:
        glob = await leader_store.global_leaders()
        chat = await leader_store.chat_leaders(caller.platform, caller.scope_id)
        return LeaderList(
            tuple(leader_of(r, True) for r in glob), tuple(leader_of(r, False) for r in chat)
        )

    async def add_leader(self, caller: Caller, handle: str) -> LeaderChange:
        """Follow an account in this chat only (bot/leaders.py: never the global set)."""
        _require_admin(caller)
        name = inputs.parse_leader(handle, "leaders")
        if caller.private:
            raise FollowsInGroupsOnly()
        outcome = await leader_store.add(
            caller.platform, caller.scope_id, name, caller.user_id, self.chat_leader_limit
        )
        if outcome is leader_store.Added.LIMIT:
            raise LeaderLimitReached(limit=self.chat_leader_limit)
        return LeaderChange(name, outcome is leader_store.Added.ADDED)

    async def remove_leader(self, caller: Caller, handle: str) -> LeaderChange:
        _require_admin(caller)
        name = inputs.parse_leader(handle, "leaders")
        if caller.private or not await leader_store.remove(caller.platform, caller.scope_id, name):
            raise UnknownLeader(handle=name)
        return LeaderChange(name, True)

    def is_operator(self, caller: Caller) -> bool:
        return caller.operator_key in self.operators

    async def add_global_leader(self, caller: Caller, handle: str) -> LeaderChange:
        """An operator adds a leader for every chat: the engine and X searches follow."""
        self._require_operator(caller)
        name = inputs.parse_leader(handle, "operator")
        added = await leader_store.operator_add(name, caller.operator_key)
        if added is leader_store.Added.ADDED:
            log.info("operator %s added global leader %s", caller.operator_key, name)
            self._leaders_changed()
        return LeaderChange(name, added is leader_store.Added.ADDED)

    async def remove_global_leader(self, caller: Caller, handle: str) -> LeaderChange:
        self._require_operator(caller)
        name = inputs.parse_leader(handle, "operator")
        outcome = await leader_store.operator_remove(name)
        if outcome is leader_store.Removed.MISSING:
            raise UnknownLeader(handle=name)
        if outcome is leader_store.Removed.CONFIGURED:
            raise LeaderConfigured(handle=name)
        log.info("operator %s removed global leader %s", caller.operator_key, name)
        self._leaders_changed()
        return LeaderChange(name, True)

    def _require_operator(self, caller: Caller) -> None:
        if not self.is_operator(caller):
            raise NotOperator()

    def _leaders_changed(self) -> None:
        if self.on_leaders_changed is not None:
            self.on_leaders_changed()

    # -- status -------------------------------------------------------------------------------
    async def status(self) -> StatusReport:
        sources: tuple[SourceHealth, ...] = ()
        if self._health is not None:
            try:
                sources = tuple(as_health(item) for item in self._health())
            except Exception:  # a broken health probe must not break /status
                log.exception("source health snapshot failed")
        ok = await db.ping()
        by_state: dict[Lifecycle, int] = {}
        last = None
        pending = 0
        if ok:
            by_state = await nq.counts_by_state()
            last = await nq.last_update()
            pending = await alert_store.count_pending()
        tracked = sum(n for state, n in by_state.items() if state != Lifecycle.QUIET)
        return StatusReport(sources, last, tracked, by_state, ok, pending, now=self.clock())


def _require_admin(caller: Caller) -> None:
    if not (caller.is_admin or caller.private):
        raise NotAdmin()
