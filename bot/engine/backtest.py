"""`ghostwatch backtest`: replay a post file (JSON Lines, plain or gzip) through the engine in
event time.

Per block of lines: typed decoding (bot.posts), the stream-time watermark (bot.clock) so one
post with a wild clock changes nothing, then one ingest + tick per minute of stream time that
holds posts. Empty stream time costs nothing here: a sparse stream ticks once per busy minute,
and one with only a few posts a minute once per five minutes (the engine's counting bucket),
since its stories take hours and each tick costs the same however few posts it brings.
"""

from __future__ import annotations

import ctypes
import json
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.clock import StreamWatermark
from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.types import AlertEvent
from bot.leaders import LeaderFormatError, read_leader_ids
from bot.postfile import Line, PostFile, TooLong
from bot.posts import Post, PostFormatError, decode_canonical

BATCH_MAX = 5000  # posts per ingest at most
TICK_SECONDS = 60  # stream-time scoring cadence: replay speed never changes the alerts
SPARSE_BATCH = 64  # a minute with fewer posts waits for the next, up to the end of its bucket
REPORT_BAD = 5  # bad line numbers listed in the summary
PROGRESS_EVERY = 100_000  # lines between plain progress lines when stderr is not a TTY

Observer = Callable[[NarrativeEngine, list[AlertEvent]], None]

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Allocations under this come from the heap, not mapped one by one: a busy batch's arrays
# (up to 2 MiB); the engine's long-lived tables (4-24 MiB) stay mapped, eligible for huge pages.
HEAP_ARRAYS_BELOW = 4 << 20
KEEP_FREED = 64 << 20  # freed heap memory kept for the next batch before it is returned


def keep_freed_memory() -> None:
    """Let the process reuse the memory of each batch's numpy temporaries.

    glibc maps every allocation above a (self-adjusting) threshold of 128 KiB to 32 MiB on its
    own and unmaps it on free, and trims the heap once a few MiB are free. A batch makes
    dozens of arrays of 0.1-2 MiB and frees them; the next batch then faults the same
    amount of fresh pages back in, which the kernel zeroes: about a tenth of a replay's time.
    Serving those sizes from the heap and keeping up to KEEP_FREED freed costs no peak RSS
    (a replay's peak went down). Process-wide and lasting; a no-op where the C library has no
    mallopt.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, HEAP_ARRAYS_BELOW)
    mallopt(_M_TRIM_THRESHOLD, KEEP_FREED)


@dataclass(slots=True)
class LineStats:
    """Lines read, posts decoded, and the first bad line numbers (for the summary)."""

    lines: int = 0
    posts: int = 0
    bad: int = 0
    first_bad: list[int] = field(default_factory=list)

    def skip(self, line_no: int) -> None:
        self.bad += 1
        if len(self.first_bad) < REPORT_BAD:
            self.first_bad.append(line_no)


def decode_block(block: list[Line], stats: LineStats) -> list[Post]:
    """Posts of one block of lines; blank lines are ignored, bad ones counted in `stats`."""
    fast = decode_canonical(block)  # a TooLong line fails it
    if fast is not None:
        stats.lines += len(block)
        stats.posts += len(fast)
        return fast
    posts: list[Post] = []
    append = posts.append
    decode = Post.from_line
    first = stats.lines + 1
    for offset, raw in enumerate(block):
        if isinstance(raw, TooLong):  # longer than the reader's line bound
            stats.skip(first + offset)
            continue
        try:
            append(decode(raw))
        except PostFormatError:
            if raw and not raw.isspace():
                stats.skip(first + offset)
    stats.lines += len(block)
    stats.posts += len(posts)
    return posts


class EventTimeFeeder:
    """Feeds admitted posts to the engine: one ingest + tick per stream minute that has posts."""

    def __init__(
        self, engine: NarrativeEngine, sink: TextIO, observe: Observer | None = None
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.observe = observe
        self.alerts = 0
        self.ticks = 0
        self._batch: list[Post] = []
        self._stamps: list[np.ndarray] = []  # the batch's times, parsed once by the reader
        self._slot: int | None = None

    def feed(self, posts: list[Post], ts: np.ndarray) -> None:
        if not posts:
            return
        slots = (ts // TICK_SECONDS).astype(np.int64)
        # Starts of runs of equal slots; a run continuing the pending batch is merged into it.
        cuts = np.flatnonzero(slots[1:] != slots[:-1]) + 1
        starts = [0, *cuts.tolist()]
        ends = [*cuts.tolist(), len(posts)]
        bucket = self.engine.cfg.bucket_seconds // TICK_SECONDS
        for start, end in zip(starts, ends, strict=True):
            slot = int(slots[start])
            if self._batch and slot != self._slot:
                sparse = len(self._batch) < SPARSE_BATCH
                if not sparse or self._slot is None or slot // bucket != self._slot // bucket:
                    self._flush()
            self._slot = slot
            pos = start
            while pos < end:
                room = BATCH_MAX - len(self._batch)
                take = min(room, end - pos)
                self._batch.extend(posts[pos : pos + take])
                self._stamps.append(ts[pos : pos + take])
                pos += take
                if len(self._batch) >= BATCH_MAX:
                    self._flush()

    def finish(self) -> None:
        self._flush()
        if self.ticks == 0:
            self._tick()

    def _flush(self) -> None:
        if self._batch:
            self.engine.ingest(self._batch, np.concatenate(self._stamps))
            self._batch, self._stamps = [], []
            self._tick()

    def _tick(self) -> None:
        self.ticks += 1
        fired = self.engine.tick()
        for alert in fired:
            self.alerts += 1
            self.sink.write(json.dumps(alert.to_json(), ensure_ascii=False) + "\n")
        if self.observe is not None:  # e.g. the --report collector (bot/report.py)
            self.observe(self.engine, fired)


_CREATED = operator.attrgetter("created_at")


def post_times(posts: list[Post]) -> np.ndarray:
    """Epoch seconds of each post (the clock watermark's and the feeder's input)."""
    stamps = map(datetime.timestamp, map(_CREATED, posts))  # C calls, no frame per post
    return np.fromiter(stamps, dtype=np.float64, count=len(posts))


def run_backtest(
    path: str,
    *,
    leaders_file: str | None,
    threshold: float | None,
    out: str | None,
    stdout: TextIO,
    stderr: TextIO,
    observe: Observer | None = None,
) -> int:
    """Replay ``path``; one JSON alert per line to ``out`` or stdout. Exit 2 if unreadable."""
    try:
        leaders = sorted(read_leader_ids(Path(leaders_file))) if leaders_file else []
    except (OSError, UnicodeDecodeError, LeaderFormatError) as exc:
        print(f"backtest: cannot read leaders file {leaders_file}: {exc}", file=stderr)
        return 2
    try:
        src = PostFile(path)
    except OSError as exc:
        print(f"backtest: cannot read {path}: {exc}", file=stderr)
        return 2
    cfg = EngineConfig()
    if threshold is not None:
        cfg.alert_threshold = float(threshold)
        cfg.viral_exit = min(cfg.viral_exit, cfg.alert_threshold - 5)
    keep_freed_memory()
    engine = NarrativeEngine(cfg, leaders)
    sink: TextIO = stdout
    if out:
        try:
            sink = open(out, "w", encoding="utf-8")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            src.close()
            print(f"backtest: cannot write {out}: {exc}", file=stderr)
            return 2
    tty = bool(getattr(stderr, "isatty", lambda: False)())
    started = time.perf_counter()
    stats = LineStats()
    mark: StreamWatermark[Post] = StreamWatermark()
    feeder = EventTimeFeeder(engine, sink, observe)
    next_report = PROGRESS_EVERY
    try:
        for block in src.blocks():
            posts = decode_block(block, stats)
            admitted = mark.feed(posts, post_times(posts))
            feeder.feed(admitted.items, admitted.ts)
            if stats.lines >= next_report:
                next_report = (stats.lines // PROGRESS_EVERY + 1) * PROGRESS_EVERY
                _progress(stderr, tty, stats.lines, src.position(), src.size, started)
        admitted = mark.flush()
        feeder.feed(admitted.items, admitted.ts)
        feeder.finish()
    except OSError as exc:
        print(f"\nbacktest: read error after line {stats.lines}: {exc}", file=stderr)
        return 2
    finally:
        src.close()
        if sink is not stdout:
            sink.close()
        else:
            sink.flush()
    elapsed = max(time.perf_counter() - started, 1e-9)
    if tty:
        stderr.write("\n")
    summary = (
        f"backtest: {stats.posts} posts read in {elapsed:.1f}s "
        f"({stats.posts / elapsed:,.0f} posts/s), "
        f"{len(engine.narratives())} narratives tracked, {feeder.alerts} alerts"
    )
    print(summary, file=stderr)
    if stats.bad:
        listed = ", ".join(str(n) for n in stats.first_bad)
        more = "" if stats.bad <= len(stats.first_bad) else ", ..."
        print(f"backtest: skipped {stats.bad} bad lines (line {listed}{more})", file=stderr)
    if mark.refused:
        print(
            f"backtest: skipped {mark.refused} posts whose time is implausible for the stream "
            "(far from their neighbours' times)",
            file=stderr,
        )
    return 0


def _progress(stderr: TextIO, tty: bool, lines: int, pos: int, size: int, started: float) -> None:
    rate = lines / max(time.perf_counter() - started, 1e-9)
    if tty and size:
        done = min(1.0, pos / size)
        bar = "#" * int(done * 30)
        stderr.write(f"\r[{bar:<30}] {done:6.1%} {lines:,} lines {rate:,.0f}/s")
    else:
        stderr.write(f"backtest: {lines:,} lines, {rate:,.0f} lines/s\n")
    stderr.flush()
