"""`ghostwatch backtest`: replay a JSON Lines post file through the engine in event time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.types import AlertEvent
from bot.posts import Post, PostFormatError
from bot.recordings import open_recording, recording_size

BATCH_MAX = 5000  # posts per ingest at most
TICK_SECONDS = 60  # stream-time scoring cadence: replay speed never changes the alerts
REPORT_BAD = 5  # bad line numbers listed in the summary
PROGRESS_EVERY = 100_000  # lines between plain progress lines when stderr is not a TTY


def read_leaders(path: str) -> list[str]:
    """One handle per line, '#' starts a comment, '@' and case are ignored."""
    handles = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            handle = line.split("#", 1)[0].strip().lstrip("@").casefold()
            if handle:
                handles.append(handle)
    return handles


def run_backtest(
    path: str,
    *,
    leaders_file: str | None,
    threshold: float | None,
    out: str | None,
    stdout: TextIO,
    stderr: TextIO,
    observe: Callable[[NarrativeEngine, list[AlertEvent]], None] | None = None,
) -> int:
    """Replay ``path``; one JSON alert per line to ``out`` or stdout. Exit 2 if unreadable."""
    try:
        leaders = read_leaders(leaders_file) if leaders_file else []
    except (OSError, UnicodeDecodeError) as exc:
        print(f"backtest: cannot read leaders file {leaders_file}: {exc}", file=stderr)
        return 2
    try:
        # a .jsonl or .jsonl.gz file, or a folder of rotated recordings (bot/recordings.py)
        src = open_recording(Path(path))
    except OSError as exc:
        print(f"backtest: cannot read {path}: {exc}", file=stderr)
        return 2
    try:
        size = recording_size(Path(path))
    except OSError:
        size = 0
    cfg = EngineConfig()
    if threshold is not None:
        cfg.alert_threshold = float(threshold)
        cfg.viral_exit = min(cfg.viral_exit, cfg.alert_threshold - 5)
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
    lines = posts_ok = alerts = 0
    bad: list[int] = []
    bad_count = 0
    batch: list[Post] = []
    batch_slot: int | None = None

    def flush() -> None:
        nonlocal alerts
        if batch:
            engine.ingest(batch)
            batch.clear()
        fired = engine.tick()
        for alert in fired:
            alerts += 1
            sink.write(json.dumps(alert.to_json(), ensure_ascii=False) + "\n")
        if observe is not None:  # e.g. the --report collector (bot/report.py)
            observe(engine, fired)

    try:
        for raw in src:
            lines += 1
            if not raw.strip():
                continue
            try:
                post = Post.from_line(raw)
            except PostFormatError:
                bad_count += 1
                if len(bad) < REPORT_BAD:
                    bad.append(lines)
                continue
            posts_ok += 1
            slot = int(post.created_at.timestamp()) // TICK_SECONDS
            if batch and (slot != batch_slot or len(batch) >= BATCH_MAX):
                flush()
            batch_slot = slot
            batch.append(post)
            if lines % PROGRESS_EVERY == 0:
                _progress(stderr, tty, lines, src.tell(), size, started)
        flush()
    except OSError as exc:
        print(f"\nbacktest: read error after line {lines}: {exc}", file=stderr)
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
        f"backtest: {posts_ok} posts read in {elapsed:.1f}s ({posts_ok / elapsed:,.0f} posts/s), "
        f"{len(engine.narratives())} narratives tracked, {alerts} alerts"
    )
    print(summary, file=stderr)
    if bad_count:
        listed = ", ".join(str(n) for n in bad)
        more = "" if bad_count <= len(bad) else ", ..."
        print(f"backtest: skipped {bad_count} bad lines (line {listed}{more})", file=stderr)
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
