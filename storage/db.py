"""Database lifecycle: tortoise configuration, connect, migrate, close."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder

from bot.config import database_url_secrets, redact_database_url
from bot.errors import one_line

log = logging.getLogger(__name__)

APP = "ghostwatch"
MODELS = ["storage.models"]
MIGRATIONS = "storage.migrations"


class StorageError(Exception):
    """Storage cannot be used; the message is one line, safe to show to operators."""


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": db_url},
        "apps": {
            APP: {
                "models": MODELS,
                "migrations": MIGRATIONS,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Only for the `tortoise` developer CLI (makemigrations); the bot builds its config at start-up.
TORTOISE_ORM = tortoise_config(os.environ.get("GHOSTWATCH_DATABASE_URL") or "sqlite://:memory:")


def redact_url(db_url: str) -> str:
    """The URL without its password or secret query values, for messages."""
    return redact_database_url(db_url)


def _prepare_sqlite(db_url: str) -> None:
    parts = urlsplit(db_url)
    raw = db_url.split("://", 1)[1].split("?", 1)[0]
    if parts.scheme != "sqlite" or raw in (":memory:", ""):
        return
    path = Path(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        # Fail fast and clearly on a file that is not a SQLite database or cannot be written:
        # SQLite itself would open a write-protected file read-only and fail on the first write.
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise StorageError(
                f"cannot use SQLite database {path}: the file or its folder is read-only"
            )
        try:
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
            try:
                conn.execute("PRAGMA schema_version").fetchone()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot use SQLite database {path}: {exc}") from None


async def connect(db_url: str) -> None:
    """Open the connection and check it answers; raises StorageError."""
    try:
        _prepare_sqlite(db_url)
    except OSError as exc:
        raise StorageError(f"cannot create the database directory: {exc}") from None
    try:
        await Tortoise.init(config=tortoise_config(db_url))
        await get_connection("default").execute_query("SELECT 1")
    except StorageError:
        raise
    except Exception as exc:  # asyncpg and aiosqlite raise their own hierarchies
        await close()
        where = redact_url(db_url)
        reason = one_line(exc)
        for secret in database_url_secrets(db_url):
            reason = reason.replace(secret, "***")  # drivers may quote what they were given
        raise StorageError(f"cannot open database {where}: {reason}") from None


async def pending_migrations(db_url: str) -> tuple[list[str], list[str]]:
    """Return (not yet applied, applied but unknown to this code)."""
    recorder = MigrationRecorder(get_connection("default"))
    loader = MigrationLoader({APP: tortoise_config(db_url)["apps"][APP]}, recorder)
    loader.load_disk()
    on_disk = {key.name for key in loader.disk_migrations if key.app_label == APP}
    # applied_migrations() answers [] when the migration table does not exist yet
    applied = {key.name for key in await recorder.applied_migrations() if key.app_label == APP}
    return sorted(on_disk - applied), sorted(applied - on_disk)


async def upgrade(db_url: str) -> list[str]:
    """Apply pending migrations; refuse a database that is newer than this code."""
    pending, unknown = await pending_migrations(db_url)
    if unknown:
        raise StorageError(
            "the database was migrated by a newer ghostwatch "
            f"(unknown migrations: {', '.join(unknown)}); upgrade ghostwatch before starting"
        )
    if pending:
        try:
            await tortoise_migrate(config=tortoise_config(db_url))
        except Exception as exc:
            raise StorageError(f"migration failed: {one_line(exc)}") from None
        log.info("applied %d migration(s): %s", len(pending), ", ".join(pending))
    return pending


async def open_storage(db_url: str, *, migrate: bool = True) -> None:
    """Connect and (optionally) migrate; with migrate=False, refuse an out-of-date schema."""
    await connect(db_url)
    if migrate:
        await upgrade(db_url)
        return
    pending, unknown = await pending_migrations(db_url)
    if unknown:
        raise StorageError(f"the database was migrated by a newer ghostwatch ({unknown[0]})")
    if pending:
        raise StorageError(
            f"{len(pending)} migration(s) pending; run `ghostwatch db upgrade` "
            "or set GHOSTWATCH_AUTO_MIGRATE=true"
        )


async def ping() -> bool:
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


async def close() -> None:
    try:
        await Tortoise.close_connections()
        # Models and executors cache SQL built for the backend they first met (keyed by
        # connection name only). Resetting both lets one process (the tests, a CLI run)
        # open a database of another kind afterwards.
        await Tortoise._reset_apps()
        EXECUTOR_CACHE.clear()
    except Exception:  # closing a half-open pool must never mask the original error
        log.debug("error while closing connections", exc_info=True)
