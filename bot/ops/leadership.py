"""Who scores and dispatches: one process at a time, chosen by a PostgreSQL advisory lock.

The lock is a session lock held on a dedicated connection (not the ORM pool), so it lives
exactly as long as that connection: when the holder dies, even by kill -9, PostgreSQL ends
its session and frees the lock, and a standby takes it on its next try (within
`retry_interval` seconds). The holder pings its connection at the same pace; if the ping
fails it can no longer prove it holds the lock and reports the loss (the app then exits so
that a supervisor restarts it as a standby rather than risk two dispatchers).

On SQLite there is only ever one process per database file, so leadership is trivially held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

# A fixed 64-bit key; advisory locks are per database, so distinct databases never collide.
SCORER_LOCK_KEY = 0x67686F7374_0001  # "ghost", role 1
CONNECT_TIMEOUT = 5.0


def is_postgres(db_url: str) -> bool:
    return urlsplit(db_url).scheme in ("postgres", "postgresql", "asyncpg")


def _dsn(db_url: str) -> str:
    parts = urlsplit(db_url)
    return urlunsplit(parts._replace(scheme="postgresql"))


class Leadership:
    """Acquires and keeps the scorer lock; `acquired`/`lost` events tell the app what happened."""

    def __init__(self, db_url: str, retry_interval: float = 5.0, key: int = SCORER_LOCK_KEY):
        self.db_url = db_url
        self.retry_interval = retry_interval
        self.key = key
        self.required = is_postgres(db_url)
        self.held = not self.required
        self.acquired = asyncio.Event()
        self.lost = asyncio.Event()
        self.tried = asyncio.Event()  # set after the first attempt, won or not
        if self.held:
            self.acquired.set()
            self.tried.set()
        self._conn: Any = None  # asyncpg.Connection
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self.required and self._task is None:
            self._task = asyncio.create_task(self._run(), name="leadership")

    async def wait(self) -> None:
        await self.acquired.wait()

    async def stop(self) -> None:
        """Release the lock (by closing its connection) and stop trying."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()
        if self.required:
            self.held = False

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)

    async def _run(self) -> None:
        import asyncpg

        while not self._stopping:
            try:
                if self._conn is None:
                    self._conn = await asyncpg.connect(_dsn(self.db_url), timeout=CONNECT_TIMEOUT)
                conn = self._conn
                if not self.held:
                    got = await conn.fetchval(
                        "SELECT pg_try_advisory_lock($1)", self.key, timeout=CONNECT_TIMEOUT
                    )
                    if got:
                        self.held = True
                        self.acquired.set()
                        log.info("took the scorer/dispatcher role (advisory lock %d)", self.key)
                    else:
                        log.debug("scorer role held by another process; standing by")
                else:
                    await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if self.held:
                    self.held = False
                    self.lost.set()
                    log.error("lost the scorer/dispatcher role: %s", exc)
                else:
                    log.warning("leadership check failed, will retry: %s", exc)
                await self._close()
            self.tried.set()
            await asyncio.sleep(self.retry_interval)
