"""Replay of recorded posts (a `.jsonl` or `.jsonl.gz` file, or a folder of them; see
bot/recordings.py) at `speed` x real time (0: as fast as possible). Posts whose time is
implausible for the stream are dropped and counted."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.clock import Admitted, StreamWatermark
from bot.metrics import POSTS_INGESTED, POSTS_SKEWED
from bot.postfile import PostFile, TooLong
from bot.posts import Post, PostFormatError
from bot.recordings import is_recording, recording_size
from bot.sources.base import CursorStore, Sink, StreamSource, load_json_cursor
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, SourceSpecError, Target

log = logging.getLogger(__name__)

BATCH = 500  # posts per emit when not pacing
READ_BYTES = 256 * 1024  # bytes read per block (a few hundred lines) off the event loop


class ReplaySource(StreamSource[Post]):
    kind = "replay"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        path: Path,
        speed: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.path = path
        self.speed = speed
        self.sleep = sleep
        self.offset = 0  # bytes consumed so far; saved as the cursor so a restart resumes here
        self.emitted = 0
        self._start_wall: float | None = None  # pacing: wall and event time of the first post
        self._start_event: float | None = None

    async def run(self, emit: Sink[Post]) -> None:
        if not (is_recording(self.path) or self.path.is_dir()):
            self.finished = True
            self.health.failure(self.name, f"replay file not found: {self.path.name}")
            self.health.set_state(self.name, "finished")
            return
        try:
            handle = await asyncio.to_thread(PostFile, self.path)
        except OSError:
            self.finished = True
            self.health.failure(self.name, f"replay file unreadable: {self.path.name}")
            self.health.set_state(self.name, "finished")
            return
        try:
            await self._load_cursor()
            if self.offset:
                await asyncio.to_thread(handle.seek, self.offset)
            await self._replay(handle, emit)
        finally:
            handle.close()
        self.finished = True
        self.health.set_state(self.name, "finished")
        log.info("replay %s finished after %d posts", self.path.name, self.emitted)

    async def _replay(self, handle: PostFile, emit: Sink[Post]) -> None:
        # Posts pass the stream-time watermark first (bot/clock.py), which holds the last few
        # until their successors are read; the cursor never passes a post not yet decided.
        mark: StreamWatermark[tuple[Post, int]] = StreamWatermark()
        undecided: deque[int] = deque()  # line-end offsets of posts fed but not yet decided
        decided_to = self.offset
        pos = self.offset
        blocks = handle.blocks(READ_BYTES)
        while (block := await asyncio.to_thread(next, blocks, None)) is not None:
            items: list[tuple[Post, int]] = []
            for line in block:
                if isinstance(line, TooLong):
                    pos += line.size + 1
                    self.health.skipped(self.name, "bad_line")
                    continue
                pos += len(line) + 1
                try:
                    post = Post.from_line(line)
                except PostFormatError:
                    if line and not line.isspace():
                        self.health.skipped(self.name, "bad_line")
                    continue
                items.append((post, pos))
                undecided.append(pos)
            pos = min(pos, handle.consumed)  # the last line of a file may lack its newline
            admitted = mark.feed(items, [p.created_at.timestamp() for p, _ in items])
            while len(undecided) > mark.pending:
                decided_to = undecided.popleft()
            await self._send(admitted, emit, pos if not undecided else decided_to)
        await self._send(mark.flush(), emit, pos)

    async def _send(
        self, admitted: Admitted[tuple[Post, int]], emit: Sink[Post], cursor: int
    ) -> None:
        """Emit admitted posts (paced when speed > 0), then save `cursor` as read."""
        if admitted.skewed:
            POSTS_SKEWED.labels(self.kind, "dropped").inc(admitted.skewed)
            self.health.skipped(self.name, "implausible_time", admitted.skewed)
        batch: list[Post] = []
        for post, end in admitted.items:
            if self.speed > 0:
                moment = post.created_at.timestamp()
                if self._start_event is None or self._start_wall is None:
                    self._start_event, self._start_wall = moment, time.monotonic()
                due = self._start_wall + (moment - self._start_event) / self.speed
                delay = due - time.monotonic()
                if delay > 0:
                    await self._emit(batch, emit, self.offset)
                    batch = []
                    await self.sleep(delay)
            batch.append(post)
            self.offset = end
            if len(batch) >= BATCH:
                await self._emit(batch, emit, self.offset)
                batch = []
                await asyncio.sleep(0)  # let commands run during a fast replay
        self.offset = max(self.offset, cursor)
        await self._emit(batch, emit, self.offset)

    async def _load_cursor(self) -> None:
        state = await load_json_cursor(self.cursors, self.cursor_key)
        offset, size = state.get("offset"), state.get("size")
        current = recording_size(self.path)
        # A recording that shrank is a different replay: start it from the top. (The offset
        # counts decompressed bytes of the whole chain, so only sizes on disk compare.)
        if isinstance(offset, int) and isinstance(size, int) and offset >= 0 and current >= size:
            self.offset = offset
            if offset:
                log.info("replay %s resumes at byte %d of %d", self.path.name, offset, current)

    async def _emit(self, batch: list[Post], emit: Sink[Post], offset: int) -> None:
        """Hand a batch on and remember that everything before `offset` has been read."""
        if batch:
            emit(batch)
            self.emitted += len(batch)
            POSTS_INGESTED.labels(self.name).inc(len(batch))
            self.health.success(self.name, len(batch))
        size = recording_size(self.path)
        cursor = {"offset": offset, "size": size}
        await self.cursors.set(self.cursor_key, json.dumps(cursor, separators=(",", ":")))


def build(spec: SourceSpec, ctx: BuildContext) -> ReplaySource:
    return ReplaySource(
        **ctx.common(spec),
        path=Path(spec.target or ""),
        speed=float(spec.options.get("speed", 1.0)),
    )


def check(spec: SourceSpec) -> None:
    if "speed" not in spec.options:
        return
    try:
        speed = float(spec.options["speed"])
    except ValueError:
        raise SourceSpecError("replay speed must be a number >= 0") from None
    if not speed >= 0:  # also refuses NaN
        raise SourceSpecError("replay speed must be a number >= 0")


# replay:PATH[?speed=N]
SOURCE = SourceKind("replay", Target.REQUIRED, build, check=check, example="PATH")
