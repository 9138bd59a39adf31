"""Row-count limits that hold under concurrency: one writer per key inside a transaction.

A limit check ("fewer than 50 items?") followed by an insert is only a limit when no other
writer can insert between the two. On PostgreSQL a transaction-scoped advisory lock on the
key makes concurrent writers of the same key take turns (other keys are not blocked). On
SQLite, tortoise runs each transaction with the single connection locked, which already
serializes them.
"""

from __future__ import annotations

import hashlib

from tortoise.backends.base.client import BaseDBAsyncClient


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def hold(conn: BaseDBAsyncClient, name: str) -> None:
    """Take the lock for `name` until the surrounding transaction ends."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [lock_key(name)])
