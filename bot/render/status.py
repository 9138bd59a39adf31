"""The bot's health for `/status`: totals first, then each source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.i18n import t
from bot.render.clean import clean
from bot.render.facts import duration
from bot.render.lines import SEPARATOR
from bot.service.types import StatusReport

HEALTH_ICONS = {"ok": "🟢", "degraded": "🟡", "down": "🔴", "disabled": "⚪"}


@dataclass(frozen=True, slots=True)
class SourceView:
    title: str  # "🟢 bluesky: ok"
    facts: tuple[str, ...]  # last data, last error


@dataclass(frozen=True, slots=True)
class StatusView:
    title: str
    totals: tuple[str, ...]
    sources: tuple[SourceView, ...]
    no_sources: str | None  # said when no source reported yet


def status_view(report: StatusReport, lang: str, now: datetime) -> StatusView:
    """Totals first, then each source; `now` measures source times (wall clock)."""
    totals = [t("status.narratives", lang, count=report.narratives_tracked)]
    if report.last_scan is not None:
        ago = duration(((report.now or now) - report.last_scan).total_seconds(), lang)
        totals.append(t("status.last_scan", lang, ago=ago))
    else:
        totals.append(t("status.never", lang))
    totals.append(t("status.database_ok" if report.database_ok else "status.database_down", lang))
    totals.append(t("status.pending", lang, count=report.alerts_pending))
    if report.by_state:
        counts = (f"{t(f'state.{s}', lang)} {n}" for s, n in sorted(report.by_state.items()))
        totals.append(SEPARATOR.join(counts))
    sources = []
    for source in report.sources:
        state = t(f"health.{source.state}", lang)
        name = t("status.source", lang, name=clean(source.name, 60, defuse=False), state=state)
        facts = []
        if source.last_success is not None:
            ago = duration((now - source.last_success).total_seconds(), lang)
            facts.append(t("status.source_last", lang, ago=ago))
        # A source that works again keeps its last error; it no longer matters.
        if source.last_error and source.state != "ok":
            error = clean(source.last_error, 150, defuse=False)
            facts.append(t("status.source_error", lang, error=error))
        icon = HEALTH_ICONS.get(source.state, "")
        sources.append(SourceView(f"{icon} {name}".strip(), tuple(facts)))
    return StatusView(
        title=t("status.title", lang),
        totals=tuple(totals),
        sources=tuple(sources),
        no_sources=None if report.sources else t("status.no_sources", lang),
    )
