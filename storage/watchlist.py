"""Queries on per-user watch items (WatchItem rows)."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.exceptions import IntegrityError

from storage.models import WatchItem


async def items(platform: str, user_id: str) -> list[WatchItem]:
    return await WatchItem.filter(platform=platform, user_id=user_id).order_by("id")


async def count(platform: str, user_id: str) -> int:
    return await WatchItem.filter(platform=platform, user_id=user_id).count()


async def find(platform: str, user_id: str, kind: str, value: str) -> WatchItem | None:
    return await WatchItem.get_or_none(platform=platform, user_id=user_id, kind=kind, value=value)


async def add(
    platform: str, user_id: str, kind: str, value: str, display: str, language: str
) -> tuple[WatchItem, bool]:
    """Insert the item; (item, False) when the user already watches it."""
    existing = await find(platform, user_id, kind, value)
    if existing is not None:
        return existing, False
    try:
        item = await WatchItem.create(
            platform=platform,
            user_id=user_id,
            kind=kind,
            value=value,
            display=display,
            language=language,
        )
    except IntegrityError:  # a concurrent add of the same item won
        again = await find(platform, user_id, kind, value)
        if again is None:
            raise
        return again, False
    return item, True


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
