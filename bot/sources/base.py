"""The source interface: polling sources with an interval, streams as long-lived tasks."""

from __future__ import annotations

import abc
import json
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient

T = TypeVar("T")
Sink = Callable[[Sequence[T]], None]


class CursorStore(Protocol):
    """Where sources keep their resume position (a string they alone interpret)."""

    async def get(self, source: str) -> str | None: ...

    async def set(self, source: str, cursor: str) -> None: ...


class MemoryCursorStore:
    """Cursor store for tests and storage-less runs."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, source: str) -> str | None:
        return self.values.get(source)

    async def set(self, source: str, cursor: str) -> None:
        self.values[source] = cursor


async def load_json_cursor(store: CursorStore, name: str) -> dict[str, Any]:
    """A JSON-object cursor, or {} when missing or unreadable (then the source starts fresh)."""
    raw = await store.get(name)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class SeenSet:
    """Bounded memory of recently seen keys, for de-duplicating re-delivered items."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember the key; returns False if it was already known."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)


class Source(abc.ABC, Generic[T]):
    """One configured connector.

    `name` is its display name, unique and safe to show: health, metrics, logs and breakers use
    it. `cursor_key` is the full configured entry (it may hold a secret URL) and only keys the
    resume position in the cursor store.
    """

    kind: str = ""

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
    ) -> None:
        self.name = name
        self.cursor_key = cursor_key or name
        self.http = http
        self.cursors = cursors

    @property
    def health(self) -> HealthRegistry:
        return self.http.health


class PollingSource(Source[T]):
    """Asked for new items every `interval` seconds by the scheduler."""

    interval: float = 60.0

    @abc.abstractmethod
    async def poll(self) -> list[T]:
        """New items since the last poll; raises UpstreamError/PayloadError on failure."""


class StreamSource(Source[T]):
    """A long-lived connection; the scheduler supervises it and restarts it with backoff."""

    # True once the stream has ended for good (a replay file read to its end).
    finished: bool = False

    @abc.abstractmethod
    async def run(self, emit: Sink[T]) -> None:
        """Read until the connection ends; raise on errors. Resume state is kept in self."""
