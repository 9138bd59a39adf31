"""The replay source: gzip files, the stream-time watermark, and a cursor that never skips a
post the watermark is still holding."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.metrics import POSTS_SKEWED
from bot.posts import Post
from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.sources.replay import ReplaySource

START = datetime(2013, 6, 1, tzinfo=UTC)


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.01, retries=2)
    yield client
    await client.close()


def _lines(count: int, first: int = 0) -> list[str]:
    return [
        json.dumps(Post(f"p{i}", "x", "a", f"post {i}", START + timedelta(minutes=i)).to_json())
        for i in range(first, first + count)
    ]


async def test_posts_with_wild_clocks_are_dropped_and_counted(
    tmp_path: Path, http: HttpClient
) -> None:
    lines = _lines(50)
    stray = json.loads(lines[0])
    lines.insert(0, json.dumps({**stray, "id": "first", "created_at": "2099-01-01T00:00:00Z"}))
    lines.insert(20, json.dumps({**stray, "id": "mid", "created_at": "1999-01-01T00:00:00Z"}))
    lines.append(json.dumps({**stray, "id": "last", "created_at": "2099-01-01T00:00:00Z"}))
    path = tmp_path / "posts.jsonl.gz"  # gzip is read as well
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    dropped = POSTS_SKEWED.labels("replay", "dropped")
    before = dropped._value.get()
    got: list[Post] = []
    source = ReplaySource("replay:w", http=http, cursors=MemoryCursorStore(), path=path, speed=0)
    await source.run(got.extend)
    assert [p.id for p in got] == [f"p{i}" for i in range(50)]
    assert dropped._value.get() == before + 3
    assert http.health.get("replay:w").skipped == 3


async def test_a_restart_resumes_before_the_posts_still_held(
    tmp_path: Path, http: HttpClient
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(_lines(3000)) + "\n", encoding="utf-8")
    cursors = MemoryCursorStore()
    got: list[Post] = []

    def stop_midway(batch: list[Post]) -> None:
        got.extend(batch)
        if len(got) >= 1000:
            raise RuntimeError("process killed")

    first = ReplaySource("replay:r", http=http, cursors=cursors, path=path, speed=0)
    with pytest.raises(RuntimeError):
        await first.run(stop_midway)
    state = json.loads(cursors.values["replay:r"])
    rest: list[Post] = []
    await ReplaySource("replay:r", http=http, cursors=cursors, path=path, speed=0).run(rest.extend)
    ids = [p.id for p in got + rest]
    assert 0 < state["offset"] < path.stat().st_size
    assert sorted(set(ids), key=lambda x: int(x[1:])) == [f"p{i}" for i in range(3000)]
    assert len(ids) - len(set(ids)) <= 500  # at most the batch that was in flight repeats
