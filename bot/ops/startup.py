"""Start-up and shutdown plumbing: storage with retries, signal handling."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from storage import db
from storage.db import StorageError

log = logging.getLogger(__name__)

EXIT_FORCED = 130


async def open_storage_with_retry(
    url: str, *, migrate: bool, retries: int, backoff: float, stop: asyncio.Event | None = None
) -> None:
    """Open (and migrate) storage, retrying `retries` times with doubling backoff.

    Only a database that cannot be reached is retried; a schema newer than the code or a
    failed migration raises at once, since waiting cannot fix it.
    """
    delay = backoff
    for attempt in range(retries + 1):
        try:
            await db.open_storage(url, migrate=migrate)
            return
        except StorageError as exc:
            if not str(exc).startswith("cannot open database") or attempt == retries:
                raise
            log.warning("%s; retry %d/%d in %.1f s", exc, attempt + 1, retries, delay)
        if stop is None:
            await asyncio.sleep(delay)
        else:
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
            else:
                raise StorageError("start-up interrupted while waiting for the database")
        delay = min(delay * 2, 30.0)


def install_signal_handlers(
    loop: asyncio.AbstractEventLoop, on_first: Callable[[str], None]
) -> Callable[[], None]:
    """SIGINT/SIGTERM: the first calls `on_first`, a second one exits at once.

    Returns a function that removes the handlers.
    """
    received: list[str] = []

    def handle(sig: signal.Signals) -> None:
        received.append(sig.name)
        if len(received) == 1:
            log.info("%s received: shutting down (send it again to force exit)", sig.name)
            on_first(sig.name)
        else:
            log.warning("%s received again: forcing exit", sig.name)
            logging.shutdown()
            os._exit(EXIT_FORCED)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, handle, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread / not POSIX
            pass

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove
