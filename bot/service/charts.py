"""PNG charts of a narrative's mentions and score over time (matplotlib, off the event loop).

A chart shows at most a few hundred points, is drawn in a bounded executor of its own and is
cached per narrative and scoring tick, so a crowd asking for the same chart costs one render.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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


MAX_POINTS = 300  # a 800-px-wide chart shows no more; 48 h of 30 s ticks would be 5,760
CACHE_SIZE = 128  # rendered charts kept (per narrative and tick)
RENDER_THREADS = 2  # of the bot's 2+ cores: charts never take all of them


def downsample(
    times: Sequence[datetime],
    mentions: Sequence[float],
    scores: Sequence[float | None],
    max_points: int = MAX_POINTS,
) -> tuple[list[datetime], list[float], list[float | None]]:
    """At most `max_points` points: consecutive points averaged in equal-count groups.

    Each group keeps its first time; a group's score is the mean of its known scores (None when
    it has none), so the line keeps its shape and the bars their height.
    """
    n = len(times)
    if n <= max_points:
        return list(times), list(mentions), list(scores)
    out_t: list[datetime] = []
    out_m: list[float] = []
    out_s: list[float | None] = []
    for g in range(max_points):
        lo, hi = g * n // max_points, (g + 1) * n // max_points
        out_t.append(times[lo])
        out_m.append(sum(mentions[lo:hi]) / (hi - lo))
        known = [s for s in scores[lo:hi] if s is not None]
        out_s.append(sum(known) / len(known) if known else None)
    return out_t, out_m, out_s


ChartKey = tuple[int, datetime]  # (narrative id, its last scoring tick)
Series = tuple[list[datetime], list[float], list[float | None]]


class ChartRenderer:
    """Renders charts off the event loop, in a small executor of its own, with a cache.

    Chart threads never queue behind (or in front of) feed parsing in the default executor,
    at most `threads` charts are drawn at once, and a chart is drawn once per narrative and
    tick however many users ask for it at the same time.
    """

    def __init__(self, threads: int = RENDER_THREADS, cache_size: int = CACHE_SIZE) -> None:
        self.threads = threads
        self.cache_size = cache_size
        self.rendered = 0
        self._pool: ThreadPoolExecutor | None = None
        self._cache: OrderedDict[ChartKey, bytes] = OrderedDict()
        self._drawing: dict[ChartKey, asyncio.Future[bytes | None]] = {}

    def cached(self, key: ChartKey) -> bytes | None:
        png = self._cache.get(key)
        if png is not None:
            self._cache.move_to_end(key)
        return png

    async def chart(
        self, key: ChartKey, title: str, series: Callable[[], Awaitable[Series | None]]
    ) -> bytes | None:
        """The chart for `key`; `series` (a query) runs only when it is not cached yet."""
        png = self.cached(key)
        if png is not None:
            return png
        drawing = self._drawing.get(key)
        if drawing is not None:
            return await asyncio.shield(drawing)
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._drawing[key] = future
        try:
            data = await series()
            if data is None:  # nothing to draw (not cached: history may arrive)
                future.set_result(None)
                return None
            times, mentions, scores = downsample(*data)
            pool = self._executor()
            png = await asyncio.get_running_loop().run_in_executor(
                pool, render_png, times, mentions, scores, title
            )
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else must
            raise
        finally:
            del self._drawing[key]
        self.rendered += 1
        future.set_result(png)
        self._cache[key] = png
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return png

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="chart")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
