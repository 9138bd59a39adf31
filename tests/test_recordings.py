"""Reading recordings: .jsonl and .jsonl.gz files and folders of them, as one stream."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.engine.generator import START
from bot.posts import Post
from bot.recordings import open_recording, recording_files
from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.sources.replay import ReplaySource


def lines(first: int, last: int) -> str:
    return "".join(
        json.dumps(Post(f"p{i}", "x", "a", f"post {i}", START + timedelta(minutes=i)).to_json())
        + "\n"
        for i in range(first, last)
    )


def ids(path: Path) -> list[str]:
    with open_recording(path) as handle:
        return [Post.from_line(line).id for line in handle if line.strip()]


def folder(tmp: Path) -> Path:
    """Three files whose names sort against their time order, one gzip, one without a final
    newline."""
    rec = tmp / "rec"
    rec.mkdir()
    (rec / "c.jsonl").write_text(lines(0, 5).rstrip("\n"), encoding="utf-8")
    with gzip.open(rec / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(lines(5, 10))
    (rec / "a.jsonl").write_text(lines(10, 15), encoding="utf-8")
    (rec / "notes.txt").write_text("not a recording", encoding="utf-8")
    (rec / "cursors.json").write_text("{}", encoding="utf-8")
    return rec


def test_a_folder_reads_in_time_order_and_keeps_lines_apart(tmp_path: Path) -> None:
    rec = folder(tmp_path)
    assert [p.name for p in recording_files(rec)] == ["c.jsonl", "b.jsonl.gz", "a.jsonl"]
    assert ids(rec) == [f"p{i}" for i in range(15)]


def test_a_gzip_file_cut_short_by_a_crash_yields_its_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    with path.open("wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as first:  # a closed member
            first.write(lines(0, 50).encode())
        second = gzip.GzipFile(fileobj=raw, mode="wb")  # a member never closed (a crash)
        second.write(lines(50, 60).encode())
        second.flush()
    got = ids(path)
    assert got[:50] == [f"p{i}" for i in range(50)]
    assert set(got) <= {f"p{i}" for i in range(60)}


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry())
    yield client
    await client.close()


async def test_replay_reads_a_folder_and_resumes_in_it(tmp_path: Path, http: HttpClient) -> None:
    rec = folder(tmp_path)
    cursors = MemoryCursorStore()
    got: list[Post] = []
    await ReplaySource("replay:r", http=http, cursors=cursors, path=rec, speed=0).run(got.extend)
    assert [p.id for p in got] == [f"p{i}" for i in range(15)]
    # a new rotated file arrives; a restarted replay reads only it
    with gzip.open(rec / "d.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(lines(15, 18))
    got.clear()
    await ReplaySource("replay:r", http=http, cursors=cursors, path=rec, speed=0).run(got.extend)
    assert [p.id for p in got] == ["p15", "p16", "p17"]
