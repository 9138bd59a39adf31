"""Replay of a JSON Lines file of posts at `speed` x real time (0: as fast as possible)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.metrics import POSTS_INGESTED
from bot.posts import Post, PostFormatError
from bot.sources.base import CursorStore, Sink, StreamSource
from bot.sources.http import HttpClient

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
        path: Path,
        speed: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors)
        self.path = path
        self.speed = speed
        self.sleep = sleep
        self.line_no = 0  # lines consumed so far; a restart after a crash resumes here
        self.emitted = 0

    async def run(self, emit: Sink[Post]) -> None:
        if not self.path.is_file():
            self.finished = True
            self.health.failure(self.name, f"replay file not found: {self.path.name}")
            self.health.set_state(self.name, "finished")
            return
        with self.path.open("rb") as handle:
            for _ in range(self.line_no):
                handle.readline()
            start_wall: float | None = None
            start_event: float | None = None
            batch: list[Post] = []
            while True:
                lines = await asyncio.to_thread(_read_lines, handle, READ_LINES)
                if not lines:
                    break
                for line in lines:
                    self.line_no += 1
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
                            self._emit(batch, emit)
                            batch = []
                            await self.sleep(delay)
                    batch.append(post)
                    if len(batch) >= BATCH:
                        self._emit(batch, emit)
                        batch = []
                        await asyncio.sleep(0)  # let commands run during a fast replay
                self._emit(batch, emit)
                batch = []
        self.finished = True
        self.health.set_state(self.name, "finished")
        log.info("replay %s finished after %d posts", self.path.name, self.emitted)

    def _emit(self, batch: list[Post], emit: Sink[Post]) -> None:
        if not batch:
            return
        emit(batch)
        self.emitted += len(batch)
        POSTS_INGESTED.labels(self.name).inc(len(batch))
        self.health.success(self.name, len(batch))


def _read_lines(handle: object, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        line = handle.readline()  # type: ignore[attr-defined]
        if not line:
            break
        out.append(line)
    return out
