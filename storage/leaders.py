"""Queries on tracked leaders: global defaults (added_in null) and per-chat additions."""

from __future__ import annotations

from collections.abc import Iterable

from bot.leaders import LeaderInfo
from storage.models import Leader


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
        elif (row.display_name, row.x_handle, row.bluesky_handle) != (
            info.name or row.display_name,
            info.x_handle,
            info.bluesky_handle,
        ):
            row.display_name = info.name or row.display_name
            row.x_handle = info.x_handle
            row.bluesky_handle = info.bluesky_handle
            await row.save()
    return added


async def global_leaders() -> list[Leader]:
    return await Leader.filter(added_in__isnull=True).order_by("handle")


async def chat_leaders(platform: str, chat_id: str) -> list[Leader]:
    return await Leader.filter(platform=platform, added_in=chat_id).order_by("handle")


async def is_global(handle: str) -> bool:
    return await Leader.filter(handle=handle, added_in__isnull=True).exists()


async def add(platform: str, chat_id: str, handle: str, added_by: str) -> bool:
    """Add a chat leader; False when the chat (or the global list) already has it."""
    if await is_global(handle):
        return False
    if await Leader.filter(platform=platform, added_in=chat_id, handle=handle).exists():
        return False
    await Leader.create(
        handle=handle, display_name="", platform=platform, added_in=chat_id, added_by=added_by
    )
    return True


async def remove(platform: str, chat_id: str, handle: str) -> bool:
    deleted = await Leader.filter(platform=platform, added_in=chat_id, handle=handle).delete()
    return bool(deleted)


async def all_handles() -> list[str]:
    """Every tracked handle and alias (global and chat-added), for the engine's leader set."""
    names: set[str] = set()
    for row in await Leader.all():
        for name in (row.handle, row.x_handle, row.bluesky_handle):
            if name:
                names.add(name.lower())
    return sorted(names)


async def move_chat(platform: str, old_chat_id: str, new_chat_id: str) -> None:
    """A chat's own leaders follow it to its new id."""
    await Leader.filter(platform=platform, added_in=old_chat_id).update(added_in=new_chat_id)
