"""`ghostwatch record`: replay-format files, rotation, resume without loss or repeats, SIGTERM."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo_stream import POSTS_FILE
from bot.engine.generator import START
from bot.posts import Post
from bot.record import PostWriter, RotateKind, Rotation
from bot.recordings import open_recording, recording_files
from tests.fakes.telegram_server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]


def demo_posts(tmp: Path) -> tuple[Path, list[Post]]:
    path = tmp / "source.jsonl"
    with gzip.open(POSTS_FILE, "rb") as src:
        path.write_bytes(src.read())
    return path, [Post.from_line(line) for line in path.read_bytes().splitlines()]


def read_posts(path: Path) -> list[Post]:
    with open_recording(path) as handle:
        return [Post.from_line(line) for line in handle if line.strip()]


def ghostwatch(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTWATCH_")}
    base.update({"PYTHONPATH": str(REPO), "GHOSTWATCH_HTTP_PORT": "0"}, **(env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def backtest(path: Path, tmp: Path) -> str:
    leaders = tmp / "leaders.txt"
    leaders.write_text("karpathy\n", encoding="utf-8")
    out = tmp / f"alerts-{path.name}.jsonl"
    proc = ghostwatch("backtest", str(path), "--leaders", str(leaders), "--out", str(out), cwd=tmp)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    return out.read_text(encoding="utf-8")


def test_rotation_parses_sizes_and_hours() -> None:
    assert Rotation.parse(None).kind is RotateKind.NONE
    assert Rotation.parse("hour") == Rotation(RotateKind.HOUR)
    assert Rotation.parse("100MB") == Rotation(RotateKind.SIZE, 100_000_000)
    assert Rotation.parse("64kb") == Rotation(RotateKind.SIZE, 64_000)
    for bad in ("soon", "10", "-5MB"):
        with pytest.raises(ValueError):
            Rotation.parse(bad)


def test_a_resumed_writer_skips_posts_it_already_wrote(tmp_path: Path) -> None:
    _, posts = demo_posts(tmp_path)
    out = tmp_path / "rec.jsonl.gz"
    first = PostWriter(out, Rotation())
    first.prepare()
    first.write(posts[:300])
    first.close()
    # a crash-restart re-reads from an older cursor: 100 posts come again
    second = PostWriter(out, Rotation())
    second.prepare()
    assert second.write(posts[200:500]) == 200
    assert second.repeats == 100
    second.close()
    assert [p.id for p in read_posts(out)] == [p.id for p in posts[:500]]


def test_size_rotation_writes_files_read_back_in_time_order(tmp_path: Path) -> None:
    _, posts = demo_posts(tmp_path)
    clock = iter(START + timedelta(seconds=i) for i in range(10_000))
    writer = PostWriter(
        tmp_path / "rec.jsonl", Rotation(RotateKind.SIZE, 100_000), clock=lambda: next(clock)
    )
    writer.prepare()
    writer.write(posts)
    writer.close()
    files = recording_files(tmp_path / "rec")
    assert len(files) >= 5 and all(f.stat().st_size < 130_000 for f in files)
    assert [p.id for p in read_posts(tmp_path / "rec")] == [p.id for p in posts]


def test_hourly_rotation_starts_a_file_each_hour(tmp_path: Path) -> None:
    _, posts = demo_posts(tmp_path)
    now = [datetime(2026, 3, 1, 9, 59, tzinfo=UTC)]
    writer = PostWriter(tmp_path / "rec.jsonl.gz", Rotation(RotateKind.HOUR), clock=lambda: now[0])
    writer.prepare()
    writer.write(posts[:100])
    writer.flush()
    now[0] += timedelta(minutes=2)
    writer.flush()  # the hour turned: the next post opens a new file
    writer.write(posts[100:200])
    writer.close()
    names = [f.name for f in recording_files(tmp_path / "rec")]
    assert names == ["rec-20260301T095900Z.jsonl.gz", "rec-20260301T100100Z.jsonl.gz"]
    assert len(read_posts(tmp_path / "rec")) == 200


async def _wait_for_posts(folder: Path, at_least: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        if (folder / "cursors.json").exists():
            try:
                if len(read_posts(folder)) >= at_least:
                    return
            except (EOFError, OSError, ValueError):
                pass  # a gzip member still being written
        await asyncio.sleep(0.1)
    raise AssertionError("record wrote nothing")


async def test_record_sigterm_resume_and_backtest_round_trip(tmp_path: Path) -> None:
    source, posts = demo_posts(tmp_path)
    args = (
        "record",
        str(tmp_path / "rec.jsonl.gz"),
        "--sources",
        f"replay:{source}?speed=1500,dexscreener",  # token sources are not recorded
        "--rotate",
        "60KB",
    )
    first = ghostwatch(*args, cwd=tmp_path)
    await _wait_for_posts(tmp_path / "rec", 500, first)
    first.send_signal(signal.SIGTERM)
    output, _ = first.communicate(timeout=30)
    assert first.returncode == 0, output
    stopped_at = len(read_posts(tmp_path / "rec"))
    assert 500 <= stopped_at < len(posts), output  # stopped part-way

    second = ghostwatch(*args, cwd=tmp_path)  # resumes and runs to the end of the replay
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    recorded = read_posts(tmp_path / "rec")
    assert [p.id for p in recorded] == [p.id for p in posts]  # nothing lost, nothing twice
    assert recorded == posts
    assert len(recording_files(tmp_path / "rec")) >= 3
    assert backtest(tmp_path / "rec", tmp_path) == backtest(source, tmp_path)


async def test_record_reads_telegram_chats(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    group = -1001110001
    fake_telegram.honour_allowed_updates = True
    proc = ghostwatch(
        "record",
        str(tmp_path / "chat.jsonl"),
        "--sources",
        "",
        cwd=tmp_path,
        env={
            "GHOSTWATCH_TELEGRAM_TOKEN": fake_telegram.token,
            "GHOSTWATCH_TELEGRAM_API_URL": fake_telegram.url,
            "GHOSTWATCH_TELEGRAM_READ_CHATS": str(group),
        },
    )
    try:
        await fake_telegram.wait_for("getUpdates", lambda c: True, include_failed=True)
        fake_telegram.chat_message(group, "we are summoning ghosts", user_id=501, date=1772366405)
        fake_telegram.chat_message(-1009, "not read: another chat", user_id=502)
        out = tmp_path / "chat.jsonl"
        deadline = time.monotonic() + 30
        while not (out.exists() and out.read_text(encoding="utf-8").strip()):
            assert proc.poll() is None and time.monotonic() < deadline
            await asyncio.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, output
    [line] = (tmp_path / "chat.jsonl").read_text(encoding="utf-8").splitlines()
    data = json.loads(line)
    assert data["text"] == "we are summoning ghosts" and data["author"] == "telegram:501"
    assert data["source"] == "telegram" and data["created_at"] == "2026-03-01T12:00:05Z"
    assert not any(c.method == "sendMessage" for c in fake_telegram.calls)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
