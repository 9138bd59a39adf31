"""PNG charts of a narrative's mentions and score over time (matplotlib, off the event loop)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot's import

from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure

MENTIONS_COLOR = "#7f8c8d"
SCORE_COLOR = "#8e44ad"


def render_png(
    times: Sequence[datetime],
    mentions: Sequence[float],
    scores: Sequence[float | None],
    title: str,
) -> bytes:
    """Bars of mentions with the score line on a second axis (0-100); blocking."""
    # Figure() rather than pyplot: no global state, so threads can render concurrently.
    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.add_subplot()
    if times:
        step = (times[-1] - times[0]) / max(1, len(times) - 1) if len(times) > 1 else None
        width = step.total_seconds() / 86400 * 0.8 if step else 0.002
        xs = date2num(list(times))
        ax.bar(xs, list(mentions), width=width, color=MENTIONS_COLOR, label="mentions")
    ax.set_ylabel("mentions")
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    score_ax = ax.twinx()
    pts = [(t, s) for t, s in zip(times, scores, strict=True) if s is not None]
    if pts:
        xs = date2num([t for t, _ in pts])
        score_ax.plot(xs, [s for _, s in pts], color=SCORE_COLOR, linewidth=2)
    score_ax.set_ylim(0, 100)
    score_ax.set_ylabel("score", color=SCORE_COLOR)
    # Titles are scraped text; matplotlib would treat "$...$" as mathtext, so escape it.
    ax.set_title(title.replace("$", r"\$")[:80])
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


async def chart_png(
    times: Sequence[datetime],
    mentions: Sequence[float],
    scores: Sequence[float | None],
    title: str,
) -> bytes:
    """`render_png` in a worker thread so the bot keeps answering while it draws."""
    return await asyncio.to_thread(render_png, times, mentions, scores, title)
