"""`python -m benchmarks.phases` times a real replay and alerts as `backtest` does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bot.engine.bench import write_stream

ROOT = Path(__file__).resolve().parents[2]


def test_phases_times_every_step_of_a_replay(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    write_stream(str(posts), 4000, 5)
    alerts = tmp_path / "alerts.jsonl"
    # Its own process: the timers wrap the engine's functions for the rest of the process.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.phases", str(posts), "--out", str(alerts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"4000 posts read in .* peak RSS [\d,]+ MiB", done.stdout), done.stdout
    for phase in ("parse", "extract", "count", "track", "tick", "other", "total"):
        assert re.search(rf"\b{phase} \d+\.\d\d s", done.stdout), done.stdout
    assert alerts.exists()
