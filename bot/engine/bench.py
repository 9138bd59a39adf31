"""`ghostwatch bench`: throughput and peak RSS beside a naive Counter n-gram baseline, twice:

- in memory: the engine on pre-built posts vs a Counter of 1-4-grams (generation not timed);
- file replay: `ghostwatch backtest FILE` end to end (reading, JSON decoding, the clock
  watermark, the engine) vs stdlib `json` plus a Counter of 1-3-grams on the same file.

Each contender runs in its own forked child of this process on the same seeded stream, so
peak RSS (ru_maxrss) is measured per contender rather than as one process-wide maximum.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TextIO

from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.generator import StreamGenerator, merge
from bot.posts import Post, by_interval

PER_MINUTE = 3000  # stream-time posts per minute (one ingest + tick per minute)
SPARSE_PER_DAY = 90  # --sparse: a few feeds' worth of posts, spread over years
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


def sparse_stream(posts: int, seed: int) -> list[Post]:
    """Background chatter at ``SPARSE_PER_DAY`` posts a day, for as many days as ``posts`` need."""
    gen = StreamGenerator(seed)
    days = posts / SPARSE_PER_DAY * 1.05  # Poisson counts: a little extra, then cut
    return gen.background(days * 24, SPARSE_PER_DAY / 1440)[:posts]


def _run_engine(batches: Iterator[list[Post]]) -> tuple[int, float]:
    from bot.engine.backtest import keep_freed_memory

    keep_freed_memory()  # as `backtest` does (this runs in its own forked child)
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


def _run_backtest_file(path: str) -> tuple[int, float]:
    from bot.engine.backtest import run_backtest

    err = io.StringIO()
    t0 = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        code = run_backtest(
            path, leaders_file=None, threshold=None, out=None, stdout=sink, stderr=err
        )
    spent = time.perf_counter() - t0
    found = re.search(r"backtest: (\d+) posts read", err.getvalue())
    if code != 0 or found is None:
        raise RuntimeError(f"backtest failed: {err.getvalue()[-200:]}")
    return int(found.group(1)), spent


def _run_counter_file(path: str) -> tuple[int, float]:
    """The naive peer: stdlib json per line, then a Counter of 1-3-grams."""
    counts: Counter[tuple[str, ...]] = Counter()
    n = 0
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        for line in fh:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str):
                continue
            words = _WORD.findall(text.casefold())
            for k in range(1, 4):
                counts.update(zip(*(words[i:] for i in range(k)), strict=False))
            n += 1
    return n, time.perf_counter() - t0


def write_stream(path: str, posts: int, seed: int, sparse: bool = False) -> None:
    """The seeded stream as a replay file (the `backtest` input format)."""
    batches = [sparse_stream(posts, seed)] if sparse else stream(posts, seed)
    with open(path, "w", encoding="utf-8") as fh:
        for batch in batches:
            fh.writelines(json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in batch)


def _in_memory(
    fn: Callable[[Iterator[list[Post]]], tuple[int, float]], posts: int, seed: int
) -> Callable[[], tuple[int, float]]:
    return lambda: fn(stream(posts, seed))


def _measure(run: Callable[[], tuple[int, float]]) -> dict[str, float]:
    """Run ``run`` in a forked child; return its posts, seconds and peak RSS."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            n, spent = run()
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


def jetstream_rates(frames: list[bytes], rounds: int) -> tuple[float, float, int]:
    """Events/s through JetstreamSource.handle_frame and through bare stdlib `json.loads` (the
    decoding alone, no checks) on the same frames; also the posts found per round."""
    from bot.sources.base import MemoryCursorStore
    from bot.sources.health import HealthRegistry
    from bot.sources.http import HttpClient
    from bot.sources.jetstream import JetstreamSource

    http = HttpClient(health=HealthRegistry())  # no session: handle_frame does no I/O
    source = JetstreamSource("bench", http=http, cursors=MemoryCursorStore(), url="ws://bench")
    # Each round renames the record keys, so de-duplication does not short-cut later rounds.
    batches = [[f.replace(b'"rkey":"', b'"rkey":"%d' % r) for f in frames] for r in range(rounds)]
    t0 = time.perf_counter()
    found = sum(1 for batch in batches for f in batch if source.handle_frame(f) is not None)
    ours = len(frames) * rounds / max(time.perf_counter() - t0, 1e-9)
    t0 = time.perf_counter()
    for batch in batches:
        for f in batch:
            json.loads(f)
    stdlib = len(frames) * rounds / max(time.perf_counter() - t0, 1e-9)
    return ours, stdlib, found // rounds


def _bench_frames(path: str, stdout: TextIO) -> int:
    try:
        with open(path, "rb") as fh:
            frames = [line.strip() for line in fh if line.strip()]
    except OSError as exc:
        print(f"bench: cannot read {path}: {exc}", file=stdout)
        return 2
    if not frames:
        print(f"bench: {path} holds no frames", file=stdout)
        return 2
    rounds = max(1, 100_000 // len(frames))
    ours, stdlib, posts = jetstream_rates(frames, rounds)
    print(
        f"jetstream frames ({len(frames):,} recorded events x {rounds}, {posts} posts each time):",
        file=stdout,
    )
    print(f"{'handle_frame':>16}: {ours:12,.0f} events/s (decode, checks, dedup)", file=stdout)
    print(f"{'json.loads':>16}: {stdlib:12,.0f} events/s (stdlib decoding alone)", file=stdout)
    return 0


def run_bench(
    *,
    posts: int,
    seed: int,
    stdout: TextIO,
    file_replay: bool = True,
    frames: str | None = None,
    sparse: bool = False,
) -> int:
    """Print posts/s and peak RSS for each contender and the naive baseline, plus ratios.

    ``sparse``: only the file replay, of a stream of ``SPARSE_PER_DAY`` posts a day (65,000
    posts span two years), where the cost per post shows whether idle time and the table's
    empty slots cost anything.
    """
    if posts <= 0:
        print("bench: --posts must be positive", file=stdout)
        return 2
    if frames is not None and _bench_frames(frames, stdout) != 0:
        return 2
    print(
        f"bench: {posts:,} synthetic posts (~20 words), seed {seed}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        file=stdout,
    )
    if sparse:
        return _bench_sparse(posts, seed, stdout)
    print("in memory (pre-built posts; generating them is not timed):", file=stdout)
    rates = {
        "engine": _report("engine", _measure(_in_memory(_run_engine, posts, seed)), stdout),
        "counter-baseline": _report(
            "counter-baseline", _measure(_in_memory(_run_counter, posts, seed)), stdout
        ),
    }
    _ratio("engine", rates["engine"], rates["counter-baseline"], stdout)
    if not file_replay:
        return 0
    with tempfile.TemporaryDirectory(prefix="ghostwatch-bench-") as tmp:
        path = os.path.join(tmp, "posts.jsonl")
        write_stream(path, posts, seed)
        size = os.path.getsize(path)
        print(
            f"file replay ({size / 2**20:,.0f} MiB JSONL; writing it is not timed; parsing is):",
            file=stdout,
        )
        rates["backtest"] = _report("backtest", _measure(lambda: _run_backtest_file(path)), stdout)
        rates["counter+json"] = _report(
            "counter+json", _measure(lambda: _run_counter_file(path)), stdout
        )
    _ratio("backtest", rates["backtest"], rates["counter+json"], stdout)
    return 0


def _bench_sparse(posts: int, seed: int, stdout: TextIO) -> int:
    with tempfile.TemporaryDirectory(prefix="ghostwatch-bench-") as tmp:
        path = os.path.join(tmp, "posts.jsonl")
        write_stream(path, posts, seed, sparse=True)
        print(
            f"sparse file replay ({SPARSE_PER_DAY} posts a day, about "
            f"{posts / SPARSE_PER_DAY:,.0f} days; writing it is not timed; parsing is):",
            file=stdout,
        )
        result = _measure(lambda: _run_backtest_file(path))
        rate = _report("backtest", result, stdout)
        per_post = result["seconds"] / max(result["posts"], 1) * 1e6
        print(f"{'per post':>16}: {per_post:12,.0f} µs", file=stdout)
        peer = _report("counter+json", _measure(lambda: _run_counter_file(path)), stdout)
    _ratio("backtest", rate, peer, stdout)
    return 0


def _report(name: str, r: dict[str, float], stdout: TextIO) -> float:
    rate = r["posts"] / max(r["seconds"], 1e-9)
    print(
        f"{name:>16}: {rate:12,.0f} posts/s  ({r['posts']:,.0f} posts in {r['seconds']:.2f}s)"
        f"  peak RSS {r['rss_kb'] / 1024:,.0f} MiB",
        file=stdout,
    )
    return rate


def _ratio(name: str, rate: float, baseline: float, stdout: TextIO) -> None:
    ratio = rate / max(baseline, 1e-9)
    print(f"{'ratio':>16}: {name} is {ratio:.2f}x the naive baseline's throughput", file=stdout)
