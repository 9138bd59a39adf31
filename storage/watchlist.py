"""Queries on per-user watch items (WatchItem rows)."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.transactions import in_transaction

from storage.locks import hold
from storage.models import WatchItem


async def items(platform: str, user_id: str) -> list[WatchItem]:
    return await WatchItem.filter(platform=platform, user_id=user_id).order_by("id")


async def count(platform: str, user_id: str) -> int:
    return await WatchItem.filter(platform=platform, user_id=user_id).count()


async def find(platform: str, user_id: str, kind: str, value: str) -> WatchItem | None:
    return await WatchItem.get_or_none(platform=platform, user_id=user_id, kind=kind, value=value)


async def add(
    platform: str,
    user_id: str,
    kind: str,
    value: str,
    display: str,
    language: str,
    limit: int,
) -> tuple[WatchItem | None, bool, int]:
    """Insert the item unless the list is full: (item, added, items now on the list).

    (existing item, False, n) when the user already watches it; (None, False, n) when the list
    already holds `limit` items. The count and the insert are one transaction, with concurrent
    adds for the same user taking turns (storage/locks.py), so the limit holds under races.
    """
    async with in_transaction() as conn:
        await hold(conn, f"watch:{platform}:{user_id}")
        have = await count(platform, user_id)
        existing = await find(platform, user_id, kind, value)
        if existing is not None:
            return existing, False, have
        if have >= limit:
            return None, False, have
        item = await WatchItem.create(
            platform=platform,
            user_id=user_id,
            kind=kind,
            value=value,
            display=display,
            language=language,
        )
    return item, True, have + 1


async def remove(platform: str, user_id: str, kind: str, value: str) -> bool:
    deleted = await WatchItem.filter(
        platform=platform, user_id=user_id, kind=kind, value=value
    ).delete()
    return bool(deleted)


async def matching(kind: str, values: Iterable[str]) -> list[WatchItem]:
    """Every user's items of `kind` whose canonical value is one of `values`."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    return await WatchItem.filter(kind=kind, value__in=wanted).order_by("id")
