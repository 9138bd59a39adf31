"""Benchmark: a crowd spamming /narrative must not slow other users' commands or scoring.

50 users ask for one narrative's chart in a loop (the service call behind /narrative) while
another user runs /ghosts and /narrative on another narrative, and the scoring pipeline ticks
on its interval. Printed per phase: the other user's command latency, how late and how long
scoring ticks were, event-loop lag, and charts rendered. The baseline phase, in the same
process, draws charts as before this change (every request queries the full 48 h history and
renders all its points in the default executor, no cache).

    python -m benchmarks.commands [--seconds 60] [--users 50] [--baseline-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.engine import EngineConfig, NarrativeEngine
from bot.engine.generator import START, StreamGenerator, merge
from bot.pipeline import ScoringPipeline
from bot.service import charts
from bot.service.narratives import NarrativeService
from storage import db
from storage.models import Narrative, ScorePoint

TICK_EVERY = 5.0  # seconds between scoring ticks in the benchmark (30 in production)


class LegacyRenderer:
    """Charts as drawn before: no cache, every point, the shared default executor."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.rendered = 0

    async def chart(
        self,
        key: charts.ChartKey,
        title: str,
        series: Callable[[], Awaitable[charts.Series | None]],
    ) -> bytes | None:
        # The old query: whole ScorePoint rows for 48 h.
        points = await ScorePoint.filter(narrative_id=key[0], at__gte=self.since).order_by("at")
        if not points:
            return None
        times = [p.at for p in points]
        mentions = [float(p.mentions) for p in points]
        scores: list[float | None] = [float(p.score) for p in points]
        self.rendered += 1
        return await asyncio.to_thread(charts.render_png, times, mentions, scores, title)

    def close(self) -> None:
        pass


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def prepare() -> tuple[ScoringPipeline, list[str]]:
    """A real engine and pipeline that scored a viral meme, plus 48 h of 30 s score points."""
    gen = StreamGenerator(7)
    posts = merge(
        gen.background(4, 10),
        gen.meme(["summoning ghosts", "summoned ghosts"], start_minute=150, authors=500),
        gen.meme(["vibe coding", "vibe coded"], start_minute=160, authors=400, pool="late"),
    )
    engine = NarrativeEngine(EngineConfig(warmup_minutes=60))
    pipeline = ScoringPipeline(engine)
    pipeline.add(posts)
    await pipeline.tick()
    rows = await Narrative.all().order_by("-score").limit(2)
    now = engine.now or START
    for row in rows:
        base = now - timedelta(hours=48)
        points = [
            ScorePoint(
                narrative_id=row.id,
                at=base + timedelta(seconds=30 * i),
                score=float(i % 80),
                mentions=i % 50,
                authors=5,
            )
            for i in range(5760)
        ]
        await ScorePoint.bulk_create(points, batch_size=1000)
    return pipeline, [row.label for row in rows]


async def phase(
    name: str,
    service: NarrativeService,
    pipeline: ScoringPipeline,
    labels: list[str],
    seconds: float,
    users: int,
) -> None:
    stop = time.monotonic() + seconds
    other_latency: list[float] = []
    lateness: list[float] = []
    tick_seconds: list[float] = []
    lag: list[float] = []
    spam_done = 0
    gen = StreamGenerator(99)
    fresh = gen.background(seconds / 60 + 1, 20)

    async def spammer() -> None:
        nonlocal spam_done
        while time.monotonic() < stop:
            await service.narrative(labels[0])
            spam_done += 1

    async def other_user() -> None:
        while time.monotonic() < stop:
            for call in (lambda: service.ghosts(), lambda: service.narrative(labels[-1])):
                started = time.monotonic()
                await call()
                other_latency.append(time.monotonic() - started)
            await asyncio.sleep(0.5)

    async def scorer() -> None:
        due = time.monotonic()
        i = 0
        while due < stop:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            started = time.monotonic()
            lateness.append(started - due)
            pipeline.add(fresh[i : i + 200])
            i += 200
            await pipeline.tick()
            tick_seconds.append(time.monotonic() - started)
            due += TICK_EVERY

    began = time.monotonic()
    worst_at = 0.0

    async def heartbeat() -> None:
        nonlocal worst_at
        while time.monotonic() < stop:
            before = time.monotonic()
            await asyncio.sleep(0.05)
            lag.append(time.monotonic() - before - 0.05)
            if lag[-1] >= max(lag):
                worst_at = before - began

    rendered_before = service.charts.rendered
    await asyncio.gather(*(spammer() for _ in range(users)), other_user(), scorer(), heartbeat())
    print(
        f"{name:>9} | other user: p50 {pct(other_latency, 0.5) * 1000:7.0f} ms"
        f"  p95 {pct(other_latency, 0.95) * 1000:7.0f} ms  max {max(other_latency) * 1000:7.0f} ms"
        f" | ticks {len(tick_seconds):3d}, late max {max(lateness) * 1000:6.0f} ms,"
        f" longest {max(tick_seconds) * 1000:6.0f} ms"
        f" | loop lag p95 {pct(lag, 0.95) * 1000:5.0f} ms max {max(lag) * 1000:6.0f} ms"
        f" (at {worst_at:.1f} s)"
        f" | /narrative served {spam_done:6d}, charts drawn"
        f" {service.charts.rendered - rendered_before:5d}"
        f" | other user mean {statistics.mean(other_latency) * 1000:6.0f} ms"
    )


async def main(seconds: float, users: int, baseline_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await db.open_storage(f"sqlite://{Path(tmp) / 'bench.sqlite3'}")
        try:
            pipeline, labels = await prepare()
            clock_now = pipeline.engine.now
            assert clock_now is not None
            print(
                f"{users} users spamming /narrative for {seconds:.0f} s per phase; "
                f"scoring every {TICK_EVERY:.0f} s; 5,760 score points per narrative"
            )
            # The bounded phase first, so it inherits no garbage or queued work from the other.
            bounded = NarrativeService(clock=lambda: clock_now)
            await phase("bounded", bounded, pipeline, labels, seconds, users)
            bounded.charts.close()
            baseline = NarrativeService(clock=lambda: clock_now)
            legacy = LegacyRenderer(clock_now - timedelta(hours=48))
            baseline.charts = legacy  # type: ignore[assignment]
            await phase("baseline", baseline, pipeline, labels, baseline_seconds, users)
        finally:
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=50)
    # The old path takes minutes to drain what a crowd queued; 20 s of it shows enough.
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.users, args.baseline_seconds))
