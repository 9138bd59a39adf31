"""Source cursors that become durable together with the engine checkpoint.

A source's resume position must never run ahead of the engine state it fed: if it did, a
crash would restore an older engine while the sources skip the posts in between, and an alert
due in that gap would be lost. Sources write cursors here freely; they reach storage only when
a checkpoint that has seen the corresponding posts is stored (via CheckpointKeeper.captures).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sources.base import CursorStore


class CheckpointedCursors:
    """A CursorStore whose writes are held in memory until the next checkpoint is stored."""

    def __init__(self, durable: CursorStore) -> None:
        self.durable = durable
        self._values: dict[str, str] = {}
        self._dirty: set[str] = set()

    async def get(self, source: str) -> str | None:
        if source in self._values:
            return self._values[source]
        value = await self.durable.get(source)
        if value is not None:
            self._values[source] = value
        return value

    async def set(self, source: str, cursor: str) -> None:
        self._values[source] = cursor
        self._dirty.add(source)

    def capture(self) -> Callable[[], Awaitable[None]]:
        """For CheckpointKeeper.captures: the cursors as they were when the engine was saved.

        A capture that is never written (the save failed) leaves its cursors pending for the
        next one.
        """
        snapshot = {name: self._values[name] for name in self._dirty}

        async def write() -> None:
            for name, cursor in snapshot.items():
                await self.durable.set(name, cursor)
                if self._values.get(name) == cursor:
                    self._dirty.discard(name)

        return write
