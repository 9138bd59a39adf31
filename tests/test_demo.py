"""`ghostwatch demo`: a first alert within 30 s, offline, and a summary that says how early."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.demo import LaunchFeed, prepare_stream
from bot.demo_stream import LAUNCHES_FILE, MINUTES, POSTS_FILE
from bot.posts import Post

REPO = Path(__file__).resolve().parents[1]
OFFLINE = REPO / "tests" / "fakes" / "offline"
FIRST_ALERT_WITHIN = 30.0
CARD = "👻 Emerging narrative:"


def test_bundled_stream_is_small_and_ships_a_launch() -> None:
    assert POSTS_FILE.stat().st_size < 2_000_000
    with gzip.open(POSTS_FILE, "rb") as fh:
        posts = [Post.from_line(line) for line in fh]
    assert len(posts) > 3000
    assert any("バイブコーディング" in p.text for p in posts)
    assert any(p.author == "karpathy" and "vibe coding" in p.text for p in posts)
    assert LAUNCHES_FILE.read_text(encoding="utf-8").count("\n") >= 1


def test_the_stream_is_moved_to_end_now(tmp_path: Path) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    stream = prepare_stream(tmp_path, now)
    lines = stream.path.read_text(encoding="utf-8").splitlines()
    times = [Post.from_line(line).created_at for line in lines]
    assert len(lines) == stream.posts
    assert stream.start == now - timedelta(minutes=MINUTES)
    assert stream.start <= min(times) and max(times) <= now
    assert all(stream.start < launch.seen_at <= now for launch in stream.launches)


def test_launch_feed_releases_each_launch_once_when_the_stream_reaches_it(
    tmp_path: Path,
) -> None:
    stream = prepare_stream(tmp_path, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    feed = LaunchFeed(stream.launches)
    first = min(launch.seen_at for launch in stream.launches)
    assert feed.due(None) == []
    assert feed.due(first - timedelta(seconds=1)) == []
    released = feed.due(first)
    assert [launch.seen_at for launch in released] == [first]
    assert feed.due(first) == []
    rest = feed.due(stream.end)
    assert len(released) + len(rest) == len(stream.launches) and feed.done


def _wait_for(proc: subprocess.Popen[bytes], out: Path, text: str, within: float) -> float:
    """Seconds from now until `text` shows in the output file; fails if it never does."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if text in out.read_text(encoding="utf-8", errors="replace"):
            return time.monotonic() - started
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in {within}s:\n{out.read_text(errors='replace')[-3000:]}")


def test_demo_prints_a_first_alert_within_30s_offline_and_a_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTWATCH_")}
    lookups = tmp_path / "lookups.txt"
    env.update(
        PYTHONPATH=os.pathsep.join([str(OFFLINE), str(REPO)]),
        GHOSTWATCH_OFFLINE_LOG=str(lookups),
        PYTHONUNBUFFERED="1",
    )
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo"],
            cwd=tmp_path,  # no .env, no data folder: a fresh machine
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(proc, out, CARD, FIRST_ALERT_WITHIN)
            first_alert = time.monotonic() - started
            assert proc.wait(timeout=90) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = out.read_text(encoding="utf-8")
    print(f"demo: first alert {first_alert:.1f}s after start")
    assert first_alert < FIRST_ALERT_WITHIN
    assert f"{CARD} vibe coding" in text
    assert "seeded by @karpathy" in text
    summary_text = text.split("ghostwatch demo: summary", 1)[1]
    assert "vibe coding: alerted at" in summary_text
    assert "$VIBE (Vibe Coding, solana)" in summary_text
    assert "before the first token launch" in summary_text
    assert "Traceback" not in text
    assert not lookups.exists(), lookups.read_text()
    assert not (tmp_path / "data").exists()  # the demo never writes the bot's own database
