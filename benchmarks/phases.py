"""Where a file replay's time goes: `ghostwatch backtest FILE` with a timer around each step.

    python -m benchmarks.phases POSTS.jsonl [--out ALERTS.jsonl]

Prints the backtest's own summary, peak RSS, and wall seconds per phase:

- parse: decoding lines into posts, their times, the stream-time watermark (bot/clock.py);
- extract: chunks, tokens and phrase hashes of each batch (bot/engine/text.py);
- count: the rest of an ingest: sketches, slots, admission and eviction, baselines;
- track: adoptions of tracked phrases (the engine's per-post pass);
- tick: promotion, scoring, grouping and the lifecycle;
- other: everything else (reading lines, batching).

The timers wrap functions by name in this process only; the replay itself is unchanged (the
alerts are those of `ghostwatch backtest`). To compare two trees, run this with each on
PYTHONPATH in turn, alternated, on the same file.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import bot.engine.adoption as adoption
import bot.engine.backtest as backtest
import bot.engine.engine as engine
from bot.clock import StreamWatermark

PHASES = ("parse", "extract", "count", "track", "tick")


def _timed(owner: Any, name: str, phase: str, spent: dict[str, float]) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[phase] += time.perf_counter() - started

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posts", help="a post file in the replay format")
    parser.add_argument("--out", default=os.devnull, help="write the alerts here")
    args = parser.parse_args(argv)
    spent = dict.fromkeys(PHASES, 0.0)
    _timed(backtest, "decode_block", "parse", spent)
    _timed(backtest, "post_times", "parse", spent)
    _timed(StreamWatermark, "feed", "parse", spent)
    _timed(engine, "extract", "extract", spent)
    # count is the whole aggregation step less the tracking pass inside it (subtracted below)
    _timed(engine.NarrativeEngine, "ingest_extraction", "count", spent)
    _timed(adoption.Adoption, "record", "track", spent)
    _timed(engine.NarrativeEngine, "tick", "tick", spent)
    err = io.StringIO()
    started = time.perf_counter()
    code = backtest.run_backtest(
        args.posts, leaders_file=None, threshold=None, out=args.out, stdout=sys.stdout, stderr=err
    )
    total = time.perf_counter() - started
    spent["count"] -= spent["track"]
    summary = [line for line in err.getvalue().splitlines() if "posts read" in line]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{summary[0] if summary else err.getvalue().strip()}; peak RSS {rss:,.0f} MiB")
    parts = "  ".join(f"{phase} {spent[phase]:.2f} s" for phase in PHASES)
    print(f"{parts}  other {total - sum(spent.values()):.2f} s  total {total:.2f} s")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
