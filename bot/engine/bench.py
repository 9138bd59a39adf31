"""`ghostwatch bench`: engine throughput and peak RSS beside a naive Counter n-gram baseline.

Each contender runs in its own forked child of this process on the same seeded stream, so
peak RSS (ru_maxrss) is measured per contender rather than as one process-wide maximum.
Stream generation is excluded from the timed section for both.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TextIO

from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.generator import StreamGenerator, by_interval, merge
from bot.posts import Post

PER_MINUTE = 3000  # stream-time posts per minute (one ingest + tick per minute)
CHUNK_MINUTES = 20
_WORD = re.compile(r"\w+")


def stream(posts: int, seed: int) -> Iterator[list[Post]]:
    """Background chatter with a meme every few chunks, in per-minute batches."""
    gen = StreamGenerator(seed)
    made = chunk = 0
    while made < posts:
        start = chunk * CHUNK_MINUTES
        parts = [gen.background(CHUNK_MINUTES / 60, PER_MINUTE, start_minute=start)]
        if chunk % 3 == 1:
            variants = [f"meme{chunk} ghosts", f"summoning meme{chunk} ghosts"]
            parts.append(
                gen.meme(
                    variants,
                    start_minute=start,
                    ramp_minutes=10,
                    peak_per_minute=100,
                    hold_minutes=5,
                    decay_minutes=5,
                    pool=f"m{chunk}_",
                )
            )
        for batch in by_interval(merge(*parts)):
            batch = batch[: posts - made]
            if not batch:
                return
            made += len(batch)
            yield batch
        chunk += 1


def _run_engine(batches: Iterator[list[Post]]) -> tuple[int, float]:
    # Short warm-up so promotion, scoring and clustering run for most of even a small bench.
    engine = NarrativeEngine(EngineConfig(warmup_minutes=75), leaders=["leader"])
    n, spent = 0, 0.0
    for batch in batches:
        t0 = time.perf_counter()
        engine.ingest(batch)
        engine.tick()
        spent += time.perf_counter() - t0
        n += len(batch)
    return n, spent


def _run_counter(batches: Iterator[list[Post]]) -> tuple[int, float]:
    counts: Counter[tuple[str, ...]] = Counter()
    n, spent = 0, 0.0
    for batch in batches:
        t0 = time.perf_counter()
        for post in batch:
            words = _WORD.findall(post.text.casefold())
            for k in range(1, 5):
                counts.update(zip(*(words[i:] for i in range(k)), strict=False))
        spent += time.perf_counter() - t0
        n += len(batch)
    return n, spent


def _measure(
    fn: Callable[[Iterator[list[Post]]], tuple[int, float]], posts: int, seed: int
) -> dict[str, float]:
    """Run ``fn`` in a forked child; return its posts, seconds and peak RSS."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            n, spent = fn(stream(posts, seed))
            rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            os.write(
                write_fd, json.dumps({"posts": n, "seconds": spent, "rss_kb": rss_kb}).encode()
            )
        except BaseException:
            code = 1
        finally:
            os.close(write_fd)
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        raw = fh.read()
    os.waitpid(pid, 0)
    if not raw:
        raise RuntimeError("benchmark child failed")
    result: dict[str, float] = json.loads(raw)
    return result


def run_bench(*, posts: int, seed: int, stdout: TextIO) -> int:
    """Print posts/s and peak RSS for the engine and the naive baseline, plus their ratio."""
    if posts <= 0:
        print("bench: --posts must be positive", file=stdout)
        return 2
    print(
        f"bench: {posts:,} synthetic posts (~20 words), seed {seed}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        file=stdout,
    )
    results = {}
    for name, fn in (("engine", _run_engine), ("counter-baseline", _run_counter)):
        r = _measure(fn, posts, seed)
        rate = r["posts"] / max(r["seconds"], 1e-9)
        results[name] = rate
        print(
            f"{name:>16}: {rate:12,.0f} posts/s  ({r['posts']:,} posts in {r['seconds']:.2f}s)"
            f"  peak RSS {r['rss_kb'] / 1024:,.0f} MiB",
            file=stdout,
        )
    ratio = results["engine"] / max(results["counter-baseline"], 1e-9)
    print(f"{'ratio':>16}: engine is {ratio:.2f}x the naive baseline's throughput", file=stdout)
    return 0
