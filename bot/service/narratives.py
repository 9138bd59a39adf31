"""NarrativeService: every chat command, answered as plain data for any front end.

The narratives are read here; what chats and users set (alerts, follow and watch lists) is
SettingsService's (bot/service/settings.py), which NarrativeService extends, so front ends
hold one object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine import Lifecycle, canonicalize
from bot.service import charts, follows, inputs
from bot.service.errors import BadArgument, UnknownNarrative
from bot.service.health import as_health
from bot.service.rows import (
    post_ref,
    readable_forms,
    reasons_of,
    series_of,
    summarize_tokens,
    summary_of,
    token_infos,
)
from bot.service.settings import SettingsService
from bot.service.types import (
    AlertCard,
    Caller,
    Choice,
    CooledNarrative,
    GhostsResult,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    SourceHealth,
    StatusReport,
    WatchEntry,
    WatchResult,
)
from storage import alerts as alert_store
from storage import db
from storage import narrative_queries as nq
from storage.models import Narrative

log = logging.getLogger(__name__)

LISTED_STATES = (Lifecycle.EMERGING, Lifecycle.VIRAL, Lifecycle.COOLING)
QUERY_CHARS = 200
RECENT_POINTS = 12  # newest scores a summary uses (its trend reads the last TREND_POINTS)
CHART_HOURS = 48
RECENT_WINDOW = timedelta(hours=24)  # a quiet /ghosts lists what alerted within this
NAME_SCAN = 500  # recent narratives whose names a /narrative lookup compares


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NarrativeService(SettingsService):
    """Reads narratives from storage; the settings commands come from SettingsService."""

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
        super().__init__(
            watch_limit=watch_limit,
            watch_chars=watch_chars,
            chat_leader_limit=chat_leader_limit,
            default_threshold=default_threshold,
            on_leaders_changed=on_leaders_changed,
            operators=operators,
        )
        self._health = health
        self.clock = clock
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
            summary_of(r, scores.get(r.id, []), token_infos(token_rows.get(r.id, []))) for r in rows
        ]

    async def _detail(self, row: Narrative) -> NarrativeDetail:
        now = self.clock()
        since = now - timedelta(hours=CHART_HOURS)
        scores = (await nq.last_scores([row.id], since, RECENT_POINTS))[row.id]
        tokens = token_infos((await nq.tokens([row.id]))[row.id])
        summary = summary_of(row, scores, tokens)
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
            reasons=reasons_of(row, len(tokens), now),
            phrases=readable_forms(row.phrases or (row.phrase,)),
            first_post=first,
            top_posts=top,
            tokens=tuple(sorted(tokens, key=lambda t: t.launched_at or now)),
            chart_png=chart,
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
            reasons=reasons_of(row, len(tokens), self.clock()),
            leader=row.seed_leader,
            seed_post_url=row.seed_post_url,
            tokens=summarize_tokens(tokens),
            details_command=f"/narrative {' '.join(row.label.split())[:100]}",
            matched_watch=matched,
            ref=str(row.id),
            phrases=tuple(row.phrases or ()),
        )

    async def watch_ref(self, caller: Caller, ref: str) -> WatchResult:
        """Watch a narrative's phrase (the "Watch" button on an alert)."""
        row = await self._by_ref(ref)
        display = " ".join(row.label.split())[: self.watch_chars]
        entry = WatchEntry("phrase", row.phrase[: self.watch_chars], display)
        return await self._add_watch(caller, entry)

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
