"""Ingest -> scorer hand-off through PostBatch rows on real SQLite/PostgreSQL."""

from __future__ import annotations

import zlib
from datetime import timedelta

from bot.engine import NarrativeEngine
from bot.engine.generator import StreamGenerator, replay
from bot.metrics import REGISTRY
from bot.ops.aggregates import AggregateReader, AggregateWriter, decode_posts, encode_posts
from bot.ops.checkpoint import CheckpointKeeper
from storage import aggregates
from storage.models import PostBatch


def _posts(minutes: float = 10, per_minute: float = 15, seed: int = 5):  # type: ignore[no-untyped-def]
    return StreamGenerator(seed).background(minutes / 60, per_minute)


def test_encode_decode_round_trip_keeps_every_field() -> None:
    posts = _posts(2)
    assert decode_posts(encode_posts(posts)) == posts


def test_corrupt_payloads_and_bad_lines_are_skipped_and_counted() -> None:
    def skipped(reason: str) -> float:
        value = REGISTRY.get_sample_value(
            "ghostwatch_payloads_skipped_total", {"source": "aggregates", "reason": reason}
        )
        return value or 0.0

    corrupt, bad = skipped("corrupt"), skipped("bad_post")
    assert decode_posts(b"not zlib") == []
    good = _posts(1)[0]
    mixed = zlib.compress(b'{"id": "x"}\n' + zlib.decompress(encode_posts([good])) + b"\nnot json")
    assert decode_posts(mixed) == [good]
    assert skipped("corrupt") == corrupt + 1
    assert skipped("bad_post") == bad + 2


async def test_writer_groups_by_minute_and_reader_feeds_engine_like_direct_ingest(
    storage: str,
) -> None:
    posts = _posts(30)
    half = len(posts) // 2
    # two ingest processes, each with part of the stream, flushing at different times
    a, b = AggregateWriter("ingest-a"), AggregateWriter("ingest-b")
    a.add(posts[:half:2])
    b.add(posts[1:half:2])
    assert await a.flush() >= 6 and await b.flush() >= 6
    a.add(posts[half::2])
    b.add(posts[half + 1 :: 2])
    await a.flush()
    await b.flush()
    assert a.buffered == 0 and a.posts_written + b.posts_written == len(posts)
    minutes = {r.minute for r in await PostBatch.all()}
    assert all(m.second == 0 and m.microsecond == 0 for m in minutes)

    engine = NarrativeEngine()
    reader = AggregateReader(batch_rows=5)
    assert await reader.poll(engine.ingest) == len(posts)
    assert await reader.poll(engine.ingest) == 0  # nothing read twice
    direct = NarrativeEngine()
    direct.ingest(posts)
    assert engine.posts_ingested == direct.posts_ingested
    assert engine.now == direct.now


async def test_rows_become_consumed_only_with_a_checkpoint_so_a_crash_rereads_them(
    storage: str,
) -> None:
    posts = _posts(30)
    assert len(posts) > 150
    writer = AggregateWriter("ingest")
    writer.add(posts[:100])
    await writer.flush()

    engine = NarrativeEngine()
    reader = AggregateReader()
    keeper = CheckpointKeeper(interval=0)
    keeper.captures.append(reader.capture)
    await reader.poll(engine.ingest)
    await keeper.save(engine)  # covers the first 100 posts
    assert await aggregates.backlog() == 0

    writer.add(posts[100:])
    await writer.flush()
    await reader.poll(engine.ingest)  # ingested, but the process "dies" before the next checkpoint
    assert await aggregates.backlog() > 0

    restored = await CheckpointKeeper(interval=0).restore()
    assert restored is not None and restored.posts_ingested == 100
    assert await AggregateReader().poll(restored.ingest) == len(posts) - 100
    assert restored.posts_ingested == len(posts)


async def test_old_consumed_rows_are_pruned(storage: str) -> None:
    posts = _posts(3)
    writer = AggregateWriter("ingest")
    writer.add(posts)
    await writer.flush()
    rows = await PostBatch.all()
    await aggregates.mark_consumed([r.id for r in rows])
    newest = max(r.minute for r in rows)
    assert await aggregates.prune_consumed(newest) == len(rows) - 1
    assert await aggregates.prune_consumed(newest + timedelta(minutes=1)) == 1


async def test_engine_fed_through_aggregates_alerts_like_a_direct_replay(storage: str) -> None:
    gen = StreamGenerator(11)
    stream = gen.background(4, 20) + gen.meme(
        ["summoning ghosts", "summoned ghosts"], start_minute=150, authors=600
    )
    stream.sort(key=lambda p: (p.created_at, p.id))
    direct = NarrativeEngine()
    expected = replay(direct, stream)
    assert expected, "the scenario must alert"

    writer, reader, engine = AggregateWriter("ingest"), AggregateReader(), NarrativeEngine()
    alerts = []
    for i in range(0, len(stream), 600):
        writer.add(stream[i : i + 600])
        await writer.flush()
        await reader.poll(engine.ingest)
        alerts += engine.tick()
    assert [a.narrative.key for a in alerts] == [a.narrative.key for a in expected]  # type: ignore[attr-defined]


async def test_a_backlog_is_read_in_bounded_pages_one_per_tick(storage: str) -> None:
    from bot.ops.aggregates import AggregateFedPipeline

    posts = _posts(40, per_minute=20)
    writer = AggregateWriter("ingest")
    writer.add(posts)
    await writer.flush()  # an outage's worth of rows waiting for the scorer
    rows = await aggregates.backlog()
    biggest_row = max(len(decode_posts(r.payload)) for r in await PostBatch.all())
    pipeline = AggregateFedPipeline(
        NarrativeEngine(), AggregateReader(), persist=False, max_buffered=200
    )
    seen = []
    while pipeline.posts_seen < len(posts):
        result = await pipeline.tick()
        assert 0 < result.posts <= 200 + biggest_row
        seen.append(result.posts)
        assert len(seen) < 50, "the backlog must drain"
    assert len(seen) >= len(posts) // (200 + biggest_row)  # several ticks, not one
    assert pipeline.dropped == 0 and pipeline.engine.posts_ingested == len(posts)
    assert rows > 0 and (await pipeline.tick()).posts == 0
