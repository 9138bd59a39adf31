"""`ghostwatch backtest --report REPORT.html`: one self-contained HTML page a person can open.

The page holds, for each alerted narrative, a timeline chart (mentions per 5-minute bucket,
the seed post, the alert moment and the first token launch when launches were given), a table
of every alert with its score breakdown, and totals. Charts are PNGs drawn with matplotlib in
the colours of the bot's own charts (bot/service/charts.py) and inlined as data URIs; there is
no JavaScript and nothing is fetched, so the file works offline and as an e-mail attachment.
Every scraped string is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure

from bot.engine import AlertEvent, NarrativeEngine, NarrativeView
from bot.posts import PostFormatError, parse_time
from bot.service.charts import MENTIONS_COLOR, SCORE_COLOR
from bot.tokens.matcher import NarrativeRef, match_tokens
from bot.tokens.types import TokenLaunch

SAMPLE_EVERY_TICKS = 60  # the engine keeps 4 h of buckets per narrative; an hourly look is plenty
SEED_COLOR = "#27ae60"
LAUNCH_COLOR = "#e67e22"
TEXT_CHARS = 280
LEAD_IN = timedelta(minutes=30)  # chart context before the first mention or the seed post


class LaunchFileError(ValueError):
    """A launches file line that cannot be read (the line number is in the message)."""


def read_launches(path: str | Path) -> list[TokenLaunch]:
    """JSON Lines of launches: chain, address, name, symbol, launched_at (RFC 3339), and
    optionally source and pair_url."""
    out = []
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise PostFormatError("not an object")
            at = parse_time(data["launched_at"])
            chain, address = str(data["chain"]), str(data["address"])
            url = data.get("pair_url") or f"https://dexscreener.com/{chain}/{address}"
            out.append(
                TokenLaunch(
                    chain=chain,
                    address=address,
                    name=str(data.get("name", "")),
                    symbol=str(data.get("symbol", "")),
                    source=str(data.get("source", "file")),
                    seen_at=at,
                    pair_url=str(url),
                    launched_at=at,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LaunchFileError(f"line {number}: {exc}") from None
    return out


@dataclass
class NarrativeTrack:
    """What the report knows about one alerted narrative."""

    first: AlertEvent
    alerts: list[AlertEvent] = field(default_factory=list)
    buckets: dict[datetime, int] = field(default_factory=dict)
    view: NarrativeView | None = None  # the latest look at it

    def absorb(self, view: NarrativeView) -> None:
        # A later view has the final count of a bucket that was still filling before.
        for moment, count in view.series:
            self.buckets[moment] = count
        self.view = view


class ReportCollector:
    """Watches a backtest tick by tick; `write` turns what it saw into the HTML page."""

    def __init__(self) -> None:
        self.tracks: dict[str, NarrativeTrack] = {}
        self.alerts: list[AlertEvent] = []
        self.started: datetime | None = None
        self.ended: datetime | None = None
        self.posts = 0
        self.narratives = 0
        self._ticks = 0
        self._engine: NarrativeEngine | None = None

    def __call__(self, engine: NarrativeEngine, alerts: Sequence[AlertEvent]) -> None:
        """Called after every backtest tick with the alerts it fired."""
        self._engine = engine
        now = engine.now
        if now is not None:
            self.started = self.started or now
            self.ended = now
        self.posts = engine.posts_ingested
        for alert in alerts:
            self.alerts.append(alert)
            track = self.tracks.setdefault(alert.narrative.key, NarrativeTrack(alert))
            track.alerts.append(alert)
            track.absorb(alert.narrative)
        self._ticks += 1
        if self._ticks % SAMPLE_EVERY_TICKS == 0:
            self.sample(engine)

    def sample(self, engine: NarrativeEngine) -> None:
        views = engine.narratives()
        self.narratives = max(self.narratives, len(views))
        for view in views:
            track = self.tracks.get(view.key)
            if track is not None:
                track.absorb(view)

    def finish(self) -> None:
        """A last look at the engine once the backtest has read everything."""
        if self._engine is not None:
            self.posts = self._engine.posts_ingested
            self.sample(self._engine)

    # -- output -------------------------------------------------------------------------------
    def first_launches(self, launches: Sequence[TokenLaunch]) -> dict[str, TokenLaunch]:
        refs = [
            NarrativeRef(
                key=key,
                phrases=tuple(
                    dict.fromkeys((t.first.narrative.phrase, *t.first.narrative.phrases))
                ),
                seed_at=_seed_at(t.first.narrative),
            )
            for key, t in self.tracks.items()
        ]
        first: dict[str, TokenLaunch] = {}
        for match in match_tokens(list(launches), refs):
            if not match.strong:
                continue
            known = first.get(match.narrative_key)
            if known is None or _launched(match.token) < _launched(known):
                first[match.narrative_key] = match.token
        return first

    def html(self, source_name: str, launches: Sequence[TokenLaunch] = ()) -> str:
        first = self.first_launches(launches)
        parts = [_HEAD.format(title=html.escape(f"ghostwatch backtest: {source_name}"))]
        parts.append(f"<h1>Backtest of {html.escape(source_name)}</h1>")
        parts.append(self._totals(len(launches)))
        parts.append("<h2>Alerted narratives</h2>")
        if not self.tracks:
            parts.append("<p>No narrative alerted in this stream.</p>")
        for track in sorted(self.tracks.values(), key=lambda t: t.first.fired_at):
            parts.append(_narrative_section(track, first.get(track.first.narrative.key)))
        parts.append(self._alerts_table())
        parts.append("</body></html>\n")
        return "\n".join(parts)

    def write(
        self, path: str | Path, source_name: str, launches: Sequence[TokenLaunch] = ()
    ) -> None:
        Path(path).write_text(self.html(source_name, launches), encoding="utf-8")

    def _totals(self, launches: int) -> str:
        span = (self.ended - self.started) if self.started and self.ended else timedelta(0)
        days = max(span.total_seconds() / 86400, 1 / 24)
        rows = [
            ("Posts", f"{self.posts:,}"),
            ("Stream time", _span(span)),
            ("From", _when(self.started) if self.started else "—"),
            ("To", _when(self.ended) if self.ended else "—"),
            ("Narratives tracked (most at once, hourly)", f"{self.narratives:,}"),
            ("Narratives alerted", f"{len(self.tracks):,}"),
            ("Alerts", f"{len(self.alerts):,}"),
            ("Alerts per day", f"{len(self.alerts) / days:.1f}"),
            ("Token launches given", f"{launches:,}"),
        ]
        cells = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f'<h2>Totals</h2><table class="totals">{cells}</table>'

    def _alerts_table(self) -> str:
        names: list[str] = []
        for alert in self.alerts:
            for name in _components(alert):
                if name not in names:
                    names.append(name)
        head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        rows = []
        for alert in self.alerts:
            view = alert.narrative
            parts = _components(alert)
            cells = "".join(
                f"<td>{parts[n]:.1f}</td>" if n in parts else "<td></td>" for n in names
            )
            rows.append(
                f"<tr><td>{html.escape(_when(alert.fired_at))}</td>"
                f"<td>{html.escape(view.label)}</td><td>{alert.episode}</td>"
                f"<td><b>{view.score:.1f}</b></td>{cells}"
                f"<td>{html.escape('@' + view.leader) if view.leader else ''}</td></tr>"
            )
        return (
            "<h2>Alerts and their score breakdowns</h2>"
            '<table class="alerts"><tr><th>Fired</th><th>Narrative</th><th>Episode</th>'
            f"<th>Score</th>{head}<th>Seeded by</th></tr>{''.join(rows)}</table>"
        )


def _components(alert: AlertEvent) -> dict[str, float]:
    return alert.narrative.breakdown.components.to_json()


def _seed_at(view: NarrativeView) -> datetime | None:
    return view.seed_post.created_at if view.seed_post else None


def _launched(launch: TokenLaunch) -> datetime:
    return launch.launched_at or launch.seen_at


def _span(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min"]
    return " ".join(p for p in parts if p)


def _when(moment: datetime) -> str:
    """A moment for people: "2026-03-01 02:31 UTC"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _window(track: NarrativeTrack, marks: Sequence[datetime]) -> list[datetime]:
    """The buckets worth drawing: from a little before the first mention or mark to the end."""
    times = sorted(track.buckets)
    busy = [t for t in times if track.buckets[t] > 0]
    if not busy:
        return times
    start = min([busy[0], *marks]) - LEAD_IN
    return [t for t in times if t >= start]


def _narrative_section(track: NarrativeTrack, launch: TokenLaunch | None) -> str:
    view = track.view or track.first.narrative
    alert = track.first
    seed = alert.narrative.seed_post or view.seed_post
    label = html.escape(view.label)
    facts = [f"alerted {html.escape(_when(alert.fired_at))} at score {alert.narrative.score:.0f}"]
    if len(track.alerts) > 1:
        facts.append(f"{len(track.alerts)} alerts (re-accelerations)")
    if view.leader:
        facts.append(f"seeded by @{html.escape(view.leader)}")
    if len(view.phrases) > 1:
        facts.append("phrases: " + html.escape(" · ".join(view.phrases)))
    lines = [f"<section><h3>{label}</h3><p>{'; '.join(facts)}</p>"]
    png = timeline_png(track, launch)
    lines.append(
        f'<img alt="timeline of {label}" width="800" height="320" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
    )
    details = []
    if seed is not None:
        lead = alert.fired_at - seed.created_at
        details.append(
            f"<li>Seed post by @{html.escape(seed.author)} at "
            f"{html.escape(_when(seed.created_at))} ({_span(lead)} before the alert): "
            f"“{html.escape(seed.text[:TEXT_CHARS])}”</li>"
        )
    if launch is not None:
        gap = _launched(launch) - alert.fired_at
        when = "after" if gap >= timedelta(0) else "before"
        url = launch.pair_url or f"https://dexscreener.com/{launch.chain}/{launch.address}"
        details.append(
            f"<li>First token launch: ${html.escape(launch.symbol)} "
            f"({html.escape(launch.name)}, {html.escape(launch.chain)}) at "
            f"{html.escape(_when(_launched(launch)))}, {_span(abs(gap))} {when} the alert "
            f'— <a href="{html.escape(url, quote=True)}">DexScreener</a></li>'
        )
    if details:
        lines.append(f"<ul>{''.join(details)}</ul>")
    lines.append("</section>")
    return "\n".join(lines)


def timeline_png(track: NarrativeTrack, launch: TokenLaunch | None) -> bytes:
    """Mentions per bucket with the seed post, alert moment(s) and first launch marked."""
    fig = Figure(figsize=(8, 3.2), dpi=100)
    ax = fig.add_subplot()
    seed = track.first.narrative.seed_post
    marks = [alert.fired_at for alert in track.alerts]
    if seed is not None:
        marks.append(seed.created_at)
    times = _window(track, marks)
    if times:
        step = min((b - a for a, b in itertools.pairwise(times)), default=timedelta(minutes=5))
        width = step.total_seconds() / 86400 * 0.85
        ax.bar(
            date2num(times),
            [track.buckets[t] for t in times],
            width=width,
            align="edge",
            color=MENTIONS_COLOR,
            label="mentions per bucket",
        )
    if seed is not None:
        ax.axvline(date2num(seed.created_at), color=SEED_COLOR, linestyle="--", label="seed post")
    for number, alert in enumerate(track.alerts):
        ax.axvline(
            date2num(alert.fired_at),
            color=SCORE_COLOR,
            linewidth=2,
            label="alert" if number == 0 else None,
        )
    if launch is not None:
        ax.axvline(
            date2num(_launched(launch)),
            color=LAUNCH_COLOR,
            linestyle=":",
            linewidth=2,
            label="first token launch",
        )
    ax.set_ylabel("mentions")
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M"))
    ax.legend(loc="upper left", fontsize=8)
    # No title: the section heading above the image names the narrative in the browser's own
    # fonts (the chart's font has no Japanese glyphs), and scraped text stays out of mathtext.
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 14px; }}
table.alerts td {{ font-variant-numeric: tabular-nums; }}
section {{ border-top: 1px solid #eee; padding-top: 0.5em; }}
img {{ max-width: 100%; height: auto; }}
</style></head><body>"""
