"""Charts are bounded: a few hundred points, their own small executor, one render per tick."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.service import charts
from bot.service.charts import MAX_POINTS, ChartRenderer, downsample

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def day_of_ticks(n: int = 5760) -> charts.Series:
    times = [T0 + timedelta(seconds=30 * i) for i in range(n)]
    mentions = [float(i % 100) for i in range(n)]
    scores: list[float | None] = [float(i % 60) if i % 7 else None for i in range(n)]
    return times, mentions, scores


def test_downsampling_keeps_at_most_a_few_hundred_points_and_the_shape() -> None:
    times, mentions, scores = day_of_ticks()
    t, m, s = downsample(times, mentions, scores)
    assert len(t) == len(m) == len(s) == MAX_POINTS
    assert t[0] == times[0] and t == sorted(t)
    assert sum(m) / len(m) == pytest.approx(sum(mentions) / len(mentions), rel=0.01)
    assert all(v is None or 0 <= v < 60 for v in s)
    short = downsample(times[:10], mentions[:10], scores[:10])
    assert short == (times[:10], mentions[:10], scores[:10])  # small series stay as they are


async def test_a_crowd_asking_for_one_chart_costs_one_query_and_one_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[tuple[int, str]] = []
    real = charts.render_png

    def recording_render(*args: object) -> bytes:
        drawn.append((len(args[0]), threading.current_thread().name))  # type: ignore[arg-type]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "render_png", recording_render)
    renderer = ChartRenderer(threads=1)
    queries = 0

    async def series() -> charts.Series:
        nonlocal queries
        queries += 1
        await asyncio.sleep(0)
        return day_of_ticks()

    try:
        pngs = await asyncio.gather(*(renderer.chart((1, T0), "ghosts", series) for _ in range(50)))
        assert len(set(pngs)) == 1 and pngs[0] is not None and pngs[0].startswith(b"\x89PNG")
        assert queries == 1 and renderer.rendered == 1
        [(points, thread)] = drawn
        assert points <= MAX_POINTS and thread.startswith("chart")
        # The next scoring tick is a new chart; an old one is served from the cache.
        await renderer.chart((1, T0 + timedelta(seconds=30)), "ghosts", series)
        await renderer.chart((1, T0), "ghosts", series)
        assert queries == 2 and renderer.rendered == 2
    finally:
        renderer.close()


async def test_nothing_to_draw_is_not_cached() -> None:
    renderer = ChartRenderer()
    calls = 0

    async def empty() -> None:
        nonlocal calls
        calls += 1

    assert await renderer.chart((2, T0), "x", empty) is None
    assert await renderer.chart((2, T0), "x", empty) is None
    assert calls == 2
    renderer.close()
