"""Checkpoint persistence on real SQLite/PostgreSQL: save, keep a few, restore, discard bad ones."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.engine import EngineConfig, NarrativeEngine
from bot.engine.checkpoint import dump, load
from bot.engine.generator import StreamGenerator, replay
from bot.ops.checkpoint import CheckpointKeeper
from storage import checkpoints
from storage.models import EngineCheckpoint


def _engine(seed: int = 3, hours: float = 0.5) -> NarrativeEngine:
    engine = NarrativeEngine()
    gen = StreamGenerator(seed)
    replay(engine, gen.background(hours, 10))
    return engine


async def test_save_then_restore_gives_the_same_engine_state(storage: str) -> None:
    engine = _engine()
    keeper = CheckpointKeeper(interval=60)
    await keeper.save(engine)
    restored = await keeper.restore()
    assert restored is not None
    assert restored.now == engine.now
    # the vocabulary is a process-local cache and is not part of a checkpoint
    drop = {"vocab_chunks"}
    assert {k: v for k, v in restored.stats().items() if k not in drop} == {
        k: v for k, v in engine.stats().items() if k not in drop
    }
    assert dump(restored) == dump(engine)


async def test_only_the_newest_few_are_kept(storage: str) -> None:
    engine = _engine(hours=0.2)
    keeper = CheckpointKeeper(interval=60, keep=2)
    ids = [await keeper.save(engine) for _ in range(4)]
    assert await checkpoints.checkpoint_ids() == [ids[3], ids[2]]


async def test_corrupt_newest_checkpoint_is_discarded_with_a_warning(
    storage: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _engine()
    keeper = CheckpointKeeper(interval=60)
    good = await keeper.save(engine)
    bad = await EngineCheckpoint.create(version=1, data=b"GWENGINE\x00\x01garbage")
    with caplog.at_level(logging.WARNING, logger="bot.ops.checkpoint"):
        restored = await keeper.restore()
    assert restored is not None and restored.posts_ingested == engine.posts_ingested
    assert f"discarding engine checkpoint #{bad.id}" in caplog.text
    assert await checkpoints.checkpoint_ids() == [good]
    assert keeper.discarded == 1


async def test_incompatible_config_discards_and_starts_cold(storage: str) -> None:
    keeper = CheckpointKeeper(interval=60)
    await keeper.save(_engine(hours=0.2))
    restored = await keeper.restore(EngineConfig(bucket_seconds=60))
    assert restored is None
    assert await checkpoints.checkpoint_ids() == []


async def test_unknown_version_is_discarded(storage: str) -> None:
    await EngineCheckpoint.create(version=99, data=dump(_engine(hours=0.1)))
    assert await CheckpointKeeper(interval=60).restore() is None
    assert await EngineCheckpoint.all().count() == 0


async def test_maybe_save_respects_the_interval_and_runs_after_save_hooks(storage: str) -> None:
    now = [100.0]
    keeper = CheckpointKeeper(interval=30, clock=lambda: now[0])
    calls: list[int] = []

    def capture():  # type: ignore[no-untyped-def]
        async def hook() -> None:
            calls.append(len(await checkpoints.checkpoint_ids()))

        return hook

    keeper.captures.append(capture)
    engine = _engine(hours=0.1)
    assert await keeper.maybe_save(engine) is None
    now[0] += 31
    assert await keeper.maybe_save(engine) is not None
    assert await keeper.maybe_save(engine) is None
    assert calls == [1]  # the hook saw the checkpoint already stored


async def test_cursors_reach_storage_only_with_a_checkpoint(storage: str) -> None:
    from bot.ops.cursors import CheckpointedCursors
    from storage.cursors import DbCursorStore

    durable = DbCursorStore()
    await durable.set("hackernews", "100")
    cursors = CheckpointedCursors(durable)
    keeper = CheckpointKeeper(interval=60)
    keeper.captures.append(cursors.capture)
    engine = _engine(hours=0.1)

    assert await cursors.get("hackernews") == "100"
    await cursors.set("hackernews", "150")
    await cursors.set("rss:https://x.example/feed", '{"etag": "a"}')
    assert await cursors.get("hackernews") == "150"
    assert await durable.get("hackernews") == "100"  # a crash now resumes at 100
    await keeper.save(engine)
    assert await durable.get("hackernews") == "150"
    assert await durable.get("rss:https://x.example/feed") == '{"etag": "a"}'
    await cursors.set("hackernews", "200")
    assert await CheckpointedCursors(durable).get("hackernews") == "150"


async def test_pickling_and_unpickling_run_off_the_event_loop(
    storage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    loop_thread = threading.get_ident()
    threads: list[tuple[str, int]] = []
    engine = _engine(hours=0.2)

    def recording_dump(engine: NarrativeEngine) -> bytes:
        threads.append(("dump", threading.get_ident()))
        return dump(engine)

    def recording_load(*args: Any) -> NarrativeEngine:
        threads.append(("load", threading.get_ident()))
        return load(*args)

    monkeypatch.setattr("bot.ops.checkpoint.dump", recording_dump)
    monkeypatch.setattr("bot.ops.checkpoint.load", recording_load)
    keeper = CheckpointKeeper(interval=60)
    await keeper.save(engine)
    assert await keeper.restore() is not None
    assert [name for name, _ in threads] == ["dump", "load"]
    assert all(ident != loop_thread for _, ident in threads)


async def test_a_checkpoint_with_a_clock_in_the_future_is_discarded_with_a_warning(
    storage: str, caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import UTC, datetime

    from bot.posts import Post

    good_engine = _engine()
    assert good_engine.now is not None
    wall = good_engine.now.timestamp() + 3600
    keeper = CheckpointKeeper(interval=60, wall=lambda: wall)
    good = await keeper.save(good_engine)
    poisoned = _engine()
    # The engine itself holds a lone post from 2099 back; a checkpoint saved by an older build
    # (or a clock moved by a tick) can still carry such a time.
    poisoned.ingest([Post("f", "x", "a", "from 2099", datetime(2099, 1, 1, tzinfo=UTC))])
    assert poisoned.now is not None and poisoned.now.year < 2099 and poisoned.held
    poisoned.tick(datetime(2099, 1, 1, tzinfo=UTC))
    bad = await keeper.save(poisoned)
    with caplog.at_level(logging.WARNING, logger="bot.ops.checkpoint"):
        restored = await keeper.restore()
    assert restored is not None and restored.now == good_engine.now
    assert f"discarding engine checkpoint #{bad}" in caplog.text and "future" in caplog.text
    assert await checkpoints.checkpoint_ids() == [good]
