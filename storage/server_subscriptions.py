"""Queries on the alert subscriptions of one server (Discord guild): its channels' rows."""

from __future__ import annotations

from storage.models import Subscription


async def alert_channel(platform: str, guild_id: str) -> str | None:
    """The server's alert channel (enabled or not): of its channels' rows, the enabled and most
    recently changed one; None when no channel was ever set."""
    row = (
        await Subscription.filter(platform=platform, guild_id=guild_id)
        .order_by("-enabled", "-updated_at", "-id")
        .first()
    )
    return row.chat_id if row is not None else None


async def switch_off_others(platform: str, guild_id: str, keep_chat_id: str) -> int:
    """Turn alerts off in the server's other channels (one alert channel per server)."""
    return await (
        Subscription.filter(platform=platform, guild_id=guild_id, enabled=True)
        .exclude(chat_id=keep_chat_id)
        .update(enabled=False)
    )


async def unreachable(platform: str, guild_id: str) -> list[Subscription]:
    """Channels whose alerts stopped because delivery failed (not switched off by an admin)."""
    rows = await Subscription.filter(
        platform=platform, guild_id=guild_id, enabled=False, disabled_reason__isnull=False
    ).order_by("id")
    return list(rows)
