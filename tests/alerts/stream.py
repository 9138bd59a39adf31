"""A seeded synthetic stream in which "summoning ghosts" (seeded by @karpathy) really alerts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

import msgspec

from bot.engine import NarrativeEngine
from bot.engine.generator import START, StreamGenerator, by_interval, merge
from bot.pipeline import ScoringPipeline, TickResult
from bot.posts import Post

MEME_START = 160  # minutes; the engine's warm-up is 120
SEED_URL = "https://x.com/karpathy/status/1"
LEADERS = ("karpathy",)
VARIANTS = ["summoning ghosts", "summoned ghosts", "Summon ghosts"]


SLOW_EMERGING = 186  # with slow=True: emerging (score >= 30) from this minute, viral at 196


@lru_cache(maxsize=2)
def ghost_posts(slow: bool = False) -> tuple[Post, ...]:
    """The stream; `slow` ramps up over two hours, so the narrative is emerging for a while."""
    gen = StreamGenerator(1)
    background = gen.background(5 if slow else 4.5, 10)
    meme = gen.meme(
        VARIANTS,
        start_minute=150 if slow else MEME_START,
        ramp_minutes=120 if slow else 60,
        peak_per_minute=3 if slow else 6,
        authors=300,
        leader=None if slow else "karpathy",
        leader_text="we are summoning ghosts, not building animals",
    )
    if not slow:
        meme[0] = msgspec.structs.replace(meme[0], url=SEED_URL)
    return tuple(merge(background, meme))


def batches(
    until: datetime | None = None, since: datetime | None = None, slow: bool = False
) -> Iterator[list[Post]]:
    """One-minute batches of the stream, optionally restricted to [since, until)."""
    for batch in by_interval(list(ghost_posts(slow))):
        at = batch[0].created_at
        if (since is None or at >= since) and (until is None or at < until):
            yield batch


def warmed_engine(minutes: int = MEME_START + 10, slow: bool = False) -> NarrativeEngine:
    """A fresh engine that has seen the first `minutes` of the stream (no storage involved)."""
    return NarrativeEngine.restore(_warm_checkpoint(minutes, slow), leaders=LEADERS)


@lru_cache(maxsize=8)
def _warm_checkpoint(minutes: int, slow: bool) -> bytes:
    # Replaying hours of stream per test is the slow part; checkpoints make it once per run.
    engine = NarrativeEngine(leaders=LEADERS)
    for batch in batches(until=START + timedelta(minutes=minutes), slow=slow):
        engine.ingest(batch)
        engine.tick()
    return engine.checkpoint()


async def replay_minutes(
    pipeline: ScoringPipeline, first: int, last: int, slow: bool = False
) -> list[TickResult]:
    """Feed minutes [first, last) of the stream through the real pipeline, one tick each."""
    results = []
    since, until = START + timedelta(minutes=first), START + timedelta(minutes=last)
    for batch in batches(since=since, until=until, slow=slow):
        pipeline.add(batch)
        results.append(await pipeline.tick())
    return results


async def replay_until_alert(pipeline: ScoringPipeline, first: int, last: int) -> TickResult:
    """Tick minute by minute until the engine fires an alert; returns that tick."""
    for minute in range(first, last):
        for result in await replay_minutes(pipeline, minute, minute + 1):
            if result.alerts:
                return result
    raise AssertionError(f"no alert between minutes {first} and {last}")


# -- streams for ticks that span a whole wave (a speed=0 replay, a backlog after a takeover) ---

SECOND_WAVE = 400  # minutes; the first wave's alert (at ~2:58) is > 180 min (cooldown) earlier


@lru_cache(maxsize=1)
def two_wave_posts() -> tuple[Post, ...]:
    """The ghost meme goes viral twice: episode 1 at ~2:58, episode 2 at ~7:14 (cooled by 8:00)."""
    gen = StreamGenerator(3)
    background = gen.background(SECOND_WAVE / 60 + 3, 10)
    first = gen.meme(
        VARIANTS,
        start_minute=MEME_START,
        peak_per_minute=6,
        authors=300,
        leader="karpathy",
        leader_text="we are summoning ghosts, not building animals",
    )
    second = gen.meme(
        VARIANTS,
        start_minute=SECOND_WAVE,
        ramp_minutes=20,
        peak_per_minute=15,
        authors=1000,
        pool="late",
    )
    return tuple(merge(background, first, second))


def after(posts: Sequence[Post], minute: int) -> list[Post]:
    """The posts from stream minute `minute` on."""
    since = START + timedelta(minutes=minute)
    return [post for post in posts if post.created_at >= since]


def engine_until(posts: Sequence[Post], minute: int) -> NarrativeEngine:
    """A fresh engine fed `posts` before stream minute `minute`, one tick per minute."""
    engine = NarrativeEngine(leaders=LEADERS)
    until = START + timedelta(minutes=minute)
    for batch in by_interval([post for post in posts if post.created_at < until]):
        engine.ingest(batch)
        engine.tick()
    return engine
