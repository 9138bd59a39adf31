"""Hand-off between `--role ingest` processes and the scorer through PostBatch rows.

What travels is the raw post batch of each event-time minute (zlib-compressed JSON Lines in
the engine's post format), not pre-extracted phrase counts: the engine's extraction seam
(`text.extract` -> `ingest_extraction`) yields process-local token ids and still needs the
posts themselves for per-author tracking, so shipping extractions would save no scorer work.
Ingest processes therefore spread the network side (connections, polling, parsing, rate
limits) across machines; the scorer does all phrase work.

Consumption is made durable together with the engine checkpoint: the scorer marks rows
consumed only after a checkpoint that includes them is stored, so a scorer that dies
re-reads exactly the rows its restored engine has not seen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.engine import AlertEvent, NarrativeEngine, NarrativeView
from bot.metrics import PAYLOADS_SKIPPED
from bot.ops.cursors import CheckpointedCursors
from bot.pipeline import MAX_BUFFERED, NarrativeHook, ScoringPipeline, TickPrelude, TickResult
from bot.posts import Post, PostFormatError
from bot.tokens.matcher import NarrativeRef
from storage import aggregates

log = logging.getLogger(__name__)

PRUNE_AFTER = timedelta(hours=6)


def encode_posts(posts: Sequence[Post]) -> bytes:
    lines = "\n".join(json.dumps(p.to_json(), ensure_ascii=False) for p in posts)
    return zlib.compress(lines.encode("utf-8"), 6)


def decode_posts(payload: bytes) -> list[Post]:
    """Posts of one payload; a bad payload or line is skipped and counted, never raised."""
    try:
        text = zlib.decompress(payload).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        PAYLOADS_SKIPPED.labels(source="aggregates", reason="corrupt").inc()
        return []
    posts = []
    for line in text.splitlines():
        try:
            posts.append(Post.from_line(line))
        except PostFormatError:
            PAYLOADS_SKIPPED.labels(source="aggregates", reason="bad_post").inc()
    return posts


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


class AggregateWriter:
    """Buffers posts by event-time minute and writes one row per minute per flush."""

    def __init__(self, producer: str) -> None:
        self.producer = producer
        self._buffer: dict[datetime, list[Post]] = defaultdict(list)
        self.rows_written = 0
        self.posts_written = 0

    def add(self, posts: Iterable[Post]) -> None:
        for post in posts:
            self._buffer[minute_of(post.created_at)].append(post)

    @property
    def buffered(self) -> int:
        return sum(len(v) for v in self._buffer.values())

    async def flush(self) -> int:
        """Write everything buffered; returns the number of rows written."""
        buffer, self._buffer = self._buffer, defaultdict(list)
        written = 0
        try:
            for minute in sorted(buffer):
                await aggregates.write_batch(self.producer, minute, encode_posts(buffer[minute]))
                self.posts_written += len(buffer[minute])
                del buffer[minute]
                written += 1
        finally:
            # Whatever could not be written (storage down) stays buffered for the next flush.
            for minute, posts in buffer.items():
                self._buffer[minute][:0] = posts
        self.rows_written += written
        return written


class AggregateReader:
    """Feeds unconsumed rows into the scorer's engine in event-time order."""

    def __init__(self, batch_rows: int = 200) -> None:
        self.batch_rows = batch_rows
        self._ingested: set[int] = set()  # rows in the engine but not yet checkpointed
        self.posts_read = 0

    async def poll(
        self, sink: Callable[[Sequence[Post]], None], max_posts: int | None = None
    ) -> int:
        """Feed waiting rows to `sink` (engine.ingest or pipeline.add); returns posts.

        With `max_posts`, reading stops at the first row that reaches it (so it overshoots by
        at most one row): after an outage the backlog is taken a bounded page at a time, one
        per tick, instead of all at once.
        """
        total = 0
        while max_posts is None or total < max_posts:
            rows = await aggregates.unconsumed(self._ingested, self.batch_rows)
            if not rows:
                return total
            posts: list[Post] = []
            for row_id, _minute, payload in rows:
                if max_posts is not None and total + len(posts) >= max_posts:
                    break  # the rest stays unconsumed for the next call
                posts.extend(decode_posts(payload))
                self._ingested.add(row_id)
            posts.sort(key=lambda p: (p.created_at, p.id))
            sink(posts)
            total += len(posts)
            self.posts_read += len(posts)
        return total

    def capture(self) -> Callable[[], Awaitable[None]]:
        """For CheckpointKeeper.captures: rows seen at serialisation become consumed once stored."""
        seen = set(self._ingested)

        async def mark() -> None:
            await aggregates.mark_consumed(seen)
            self._ingested -= seen
            await aggregates.prune_consumed(datetime.now(UTC) - PRUNE_AFTER)

        return mark


class AggregateFedPipeline(ScoringPipeline):
    """The scoring pipeline, also fed from ingest processes' rows before every tick.

    Polling and ticking run under one lock, so a checkpoint taken in the tick's hook covers
    exactly the rows polled so far (none can be buffered but not yet in the engine). Each tick
    reads only what fits in the post buffer: a backlog drains over several ticks (back-pressure)
    instead of being loaded into memory at once.
    """

    def __init__(
        self,
        engine: NarrativeEngine,
        reader: AggregateReader,
        *,
        on_narratives: NarrativeHook | None = None,
        before_tick: TickPrelude | None = None,
        persist: bool = True,
        max_buffered: int = MAX_BUFFERED,
        may_write: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__(
            engine,
            on_narratives=on_narratives,
            before_tick=before_tick,
            persist=persist,
            max_buffered=max_buffered,
            may_write=may_write,
        )
        self.reader = reader
        self._feed_lock = asyncio.Lock()

    async def tick(self, now: datetime | None = None) -> TickResult:
        async with self._feed_lock:
            if self.room:
                # Straight into the buffer: the one row that may overshoot `room` is kept.
                await self.reader.poll(self._buffer.extend, max_posts=self.room)
            return await super().tick(now)


class IngestIntake:
    """What an ingest process's scheduler feeds instead of a scoring pipeline (a PostIntake).

    Posts are buffered per minute and written on every tick, then the source cursors that
    led to them are made durable (never before the posts themselves are stored).
    """

    def __init__(self, producer: str, cursors: CheckpointedCursors) -> None:
        self.writer = AggregateWriter(producer)
        self.cursors = cursors
        self.views: list[NarrativeView] = []
        self.posts_seen = 0
        self._lock = asyncio.Lock()

    def add(self, posts: Sequence[Post]) -> None:
        self.writer.add(posts)
        self.posts_seen += len(posts)

    async def tick(self, now: datetime | None = None) -> TickResult:
        async with self._lock:
            write_cursors = self.cursors.capture()
            rows = await self.writer.flush()
            await write_cursors()
            return TickResult(rows, [], list[AlertEvent](), rows > 0)

    def phrases(self, limit: int = 10) -> list[str]:
        return []  # phrase-driven searches (X, DexScreener) run in the scorer's process

    def narrative_refs(self) -> list[NarrativeRef]:
        return []  # no narratives here: launches are matched in the scorer's process
