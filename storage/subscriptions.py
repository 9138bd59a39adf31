"""Queries on chat alert subscriptions (Subscription rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage.models import Subscription

REASON_CHARS = 300


async def get(platform: str, chat_id: str) -> Subscription | None:
    return await Subscription.get_or_none(platform=platform, chat_id=chat_id)


async def upsert(
    platform: str, chat_id: str, *, defaults: dict[str, Any] | None = None, **changes: Any
) -> Subscription:
    """Create the chat's row (with `defaults` and `changes`) or apply `changes` to it."""
    sub = await get(platform, chat_id)
    if sub is None:
        sub = Subscription(platform=platform, chat_id=chat_id, **{**(defaults or {}), **changes})
        await sub.save()
        return sub
    if changes:
        await update(sub, **changes)
    return sub


async def update(sub: Subscription, **changes: Any) -> Subscription:
    """Save `changes` to a subscription row read before."""
    for name, value in changes.items():
        setattr(sub, name, value)
    await sub.save()
    return sub


async def enabled(platforms: Iterable[str]) -> list[Subscription]:
    """Subscriptions that want alerts, on the platforms we can deliver to."""
    return await Subscription.filter(platform__in=list(platforms), enabled=True).order_by("id")


async def disable(platform: str, chat_id: str, reason: str) -> None:
    """Stop alerts to a chat that is gone (blocked/removed the bot); keeps its settings."""
    await upsert(
        platform, chat_id, enabled=False, disabled_reason=reason[:REASON_CHARS] or "unreachable"
    )


async def gone_targets(platform: str, targets: Iterable[str]) -> set[str]:
    """Of `targets`, those disabled because they were unreachable (not merely switched off)."""
    rows = await Subscription.filter(
        platform=platform, chat_id__in=list(targets), enabled=False, disabled_reason__isnull=False
    ).values_list("chat_id", flat=True)
    return {str(r) for r in rows}


async def for_chats(platform: str, chat_ids: Iterable[str]) -> list[Subscription]:
    return await Subscription.filter(platform=platform, chat_id__in=list(chat_ids))


async def clear_gone(platform: str, chat_id: str) -> None:
    """The user or chat talked to us again: it is reachable."""
    await Subscription.filter(
        platform=platform, chat_id=chat_id, disabled_reason__isnull=False
    ).update(disabled_reason=None)


async def move(platform: str, old_chat_id: str, new_chat_id: str) -> None:
    """The chat got a new id: its settings follow (unless the new id already has its own)."""
    if await get(platform, new_chat_id) is not None:
        await Subscription.filter(platform=platform, chat_id=old_chat_id).delete()
        return
    await Subscription.filter(platform=platform, chat_id=old_chat_id).update(chat_id=new_chat_id)
