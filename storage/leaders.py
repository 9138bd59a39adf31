"""Queries on leader rows.

Rows with `added_in` null are the global set (bot/leaders.py explains the design): seeded from
the shipped list and configuration at every start, or added by an operator (`added_by` set).
Rows with `added_in` set are one chat's follow list; they never feed the engine.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from tortoise.transactions import in_transaction

from bot.leaders import LeaderInfo, info_ids
from storage.locks import hold
from storage.models import Leader


class Added(enum.Enum):
    ADDED = "added"
    EXISTS = "exists"  # already on this list (or, for a chat, in the global set)
    LIMIT = "limit"  # the list is full


class Removed(enum.Enum):
    REMOVED = "removed"
    MISSING = "missing"
    CONFIGURED = "configured"  # a shipped/configured leader: changed in configuration only


def _info(row: Leader) -> LeaderInfo:
    return LeaderInfo(row.handle, row.display_name, row.x_handle, row.bluesky_handle)


async def seed_defaults(leaders: Iterable[LeaderInfo]) -> int:
    """Make the global leader rows match the shipped/configured list; returns rows added.

    Global rows are matched by handle with `added_in` null (SQL unique constraints treat
    NULLs as distinct, so the check is done here rather than by the database).
    """
    existing = {
        row.handle: row for row in await Leader.filter(added_in__isnull=True, platform__isnull=True)
    }
    added = 0
    for info in leaders:
        row = existing.get(info.handle)
        if row is None:
            await Leader.create(
                handle=info.handle,
                display_name=info.name,
                x_handle=info.x_handle,
                bluesky_handle=info.bluesky_handle,
            )
            added += 1
        elif (row.display_name, row.x_handle, row.bluesky_handle, row.added_by) != (
            info.name or row.display_name,
            info.x_handle,
            info.bluesky_handle,
            None,
        ):
            row.display_name = info.name or row.display_name
            row.x_handle = info.x_handle
            row.bluesky_handle = info.bluesky_handle
            row.added_by = None  # configured now: no longer the operator's to remove
            await row.save()
    return added


async def global_leaders() -> list[Leader]:
    return await Leader.filter(added_in__isnull=True).order_by("handle")


async def global_ids() -> list[str]:
    """The "network:handle" identities of the global set, oldest row first."""
    ids: dict[str, None] = {}
    for row in await Leader.filter(added_in__isnull=True).order_by("id"):
        ids.update(dict.fromkeys(info_ids(_info(row))))
    return list(ids)


async def chat_leaders(platform: str, chat_id: str) -> list[Leader]:
    return await Leader.filter(platform=platform, added_in=chat_id).order_by("handle")


async def chat_ids(platform: str, chat_id: str) -> frozenset[str]:
    """The identities one chat follows."""
    ids: set[str] = set()
    for row in await chat_leaders(platform, chat_id):
        ids.update(info_ids(_info(row)))
    return frozenset(ids)


async def is_global(handle: str) -> bool:
    return await Leader.filter(handle=handle, added_in__isnull=True).exists()


async def add(platform: str, chat_id: str, handle: str, added_by: str, limit: int) -> Added:
    """Add to a chat's follow list; the limit check and the insert are one transaction."""
    async with in_transaction() as conn:
        await hold(conn, f"leaders:{platform}:{chat_id}")
        if await is_global(handle):
            return Added.EXISTS
        mine = Leader.filter(platform=platform, added_in=chat_id)
        if await mine.filter(handle=handle).exists():
            return Added.EXISTS
        if await mine.count() >= limit:
            return Added.LIMIT
        await Leader.create(
            handle=handle, display_name="", platform=platform, added_in=chat_id, added_by=added_by
        )
    return Added.ADDED


async def remove(platform: str, chat_id: str, handle: str) -> bool:
    deleted = await Leader.filter(platform=platform, added_in=chat_id, handle=handle).delete()
    return bool(deleted)


async def operator_add(handle: str, added_by: str) -> Added:
    """Add a leader to the global set for every chat (an operator's command)."""
    async with in_transaction() as conn:
        await hold(conn, "leaders:global")
        if await is_global(handle):
            return Added.EXISTS
        await Leader.create(handle=handle, display_name="", added_by=added_by)
    return Added.ADDED


async def operator_remove(handle: str) -> Removed:
    """Remove an operator-added global leader; configured ones stay (they are re-seeded)."""
    rows = await Leader.filter(handle=handle, added_in__isnull=True)
    if not rows:
        return Removed.MISSING
    if all(row.added_by is None for row in rows):
        return Removed.CONFIGURED
    await Leader.filter(handle=handle, added_in__isnull=True, added_by__isnull=False).delete()
    return Removed.REMOVED


async def move_chat(platform: str, old_chat_id: str, new_chat_id: str) -> None:
    """A chat's own leaders follow it to its new id."""
    await Leader.filter(platform=platform, added_in=old_chat_id).update(added_in=new_chat_id)
