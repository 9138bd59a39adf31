"""Replay of a JSON Lines file of posts at `speed` x real time (0: as fast as possible)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.metrics import POSTS_INGESTED
from bot.posts import Post, PostFormatError
from bot.recordings import is_recording, open_recording, recording_size, skip
from bot.sources.base import CursorStore, Sink, StreamSource, load_json_cursor
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, SourceSpecError, Target

log = logging.getLogger(__name__)

BATCH = 500  # posts per emit when not pacing
READ_LINES = 2000


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

    async def run(self, emit: Sink[Post]) -> None:
        if not (is_recording(self.path) or self.path.is_dir()):
            self.finished = True
            self.health.failure(self.name, f"replay file not found: {self.path.name}")
            self.health.set_state(self.name, "finished")
            return
        await self._load_cursor()
        # A .jsonl or .jsonl.gz file, or a folder of them (bot/recordings.py); the offset
        # counts decompressed bytes of the whole chain.
        with open_recording(self.path) as handle:
            skip(handle, self.offset)
            start_wall: float | None = None
            start_event: float | None = None
            batch: list[Post] = []
            while True:
                lines = await asyncio.to_thread(_read_lines, handle, READ_LINES)
                if not lines:
                    break
                for line in lines:
                    self.offset += len(line)
                    if not line.strip():
                        continue
                    try:
                        post = Post.from_line(line)
                    except PostFormatError:
                        self.health.skipped(self.name, "bad_line")
                        continue
                    if self.speed > 0:
                        moment = post.created_at.timestamp()
                        if start_event is None or start_wall is None:
                            start_event, start_wall = moment, time.monotonic()
                        due = start_wall + (moment - start_event) / self.speed
                        delay = due - time.monotonic()
                        if delay > 0:
                            await self._emit(batch, emit, self.offset - len(line))
                            batch = []
                            await self.sleep(delay)
                    batch.append(post)
                    if len(batch) >= BATCH:
                        await self._emit(batch, emit, self.offset)
                        batch = []
                        await asyncio.sleep(0)  # let commands run during a fast replay
                await self._emit(batch, emit, self.offset)
                batch = []
        self.finished = True
        self.health.set_state(self.name, "finished")
        log.info("replay %s finished after %d posts", self.path.name, self.emitted)

    async def _load_cursor(self) -> None:
        state = await load_json_cursor(self.cursors, self.cursor_key)
        offset, size = state.get("offset"), state.get("size")
        current = recording_size(self.path)
        # A recording that shrank is a different replay: start it from the top.
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


def _read_lines(handle: object, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        line = handle.readline()  # type: ignore[attr-defined]
        if not line:
            break
        out.append(line)
    return out


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
