"""Alert settings per server (a Discord guild): one alert channel, chosen by an admin.

The per-chat settings logic stays in NarrativeService; this module only finds which chat
(channel) of a server those settings apply to, and keeps a single alert channel per server.
"""

from __future__ import annotations

from dataclasses import replace

from bot.service.errors import NotAdmin
from bot.service.narratives import NarrativeService
from bot.service.types import Caller, SubscriptionSettings
from storage import server_subscriptions as server_store
from storage import subscriptions as sub_store


def _require_server_admin(caller: Caller) -> None:
    if not caller.is_admin or caller.guild_id is None:
        raise NotAdmin()


async def alert_channel(caller: Caller) -> str | None:
    """The server's alert channel id (enabled or not), or None when none was ever set."""
    if caller.guild_id is None:
        return None
    rows = await server_store.channels(caller.platform, caller.guild_id)
    return rows[0].chat_id if rows else None


async def in_alert_channel(caller: Caller) -> Caller | None:
    """The caller, acting on the server's alert channel (None when there is none)."""
    channel = await alert_channel(caller)
    return replace(caller, chat_id=channel) if channel else None


async def set_alert_channel(
    service: NarrativeService, caller: Caller, channel_id: str
) -> SubscriptionSettings:
    """Alerts on in `channel_id`, off in the server's other channels."""
    _require_server_admin(caller)
    assert caller.guild_id is not None
    settings = await service.set_alerts(replace(caller, chat_id=channel_id), True)
    await server_store.switch_off_others(caller.platform, caller.guild_id, channel_id)
    return settings


async def unreachable_channels(caller: Caller) -> list[SubscriptionSettings]:
    """Alert channels of the caller's server that were disabled because posting failed."""
    if caller.guild_id is None:
        return []
    rows = await server_store.unreachable(caller.platform, caller.guild_id)
    return [
        SubscriptionSettings(
            platform=r.platform,
            chat_id=r.chat_id,
            subscribed=True,
            enabled=bool(r.enabled),
            threshold=float(r.threshold),
            language=r.language,
            quiet_leaders=tuple(r.quiet_leaders or ()),
            quiet_phrases=tuple(r.quiet_phrases or ()),
            disabled_reason=r.disabled_reason,
        )
        for r in rows
    ]


async def direct_messages_closed(caller: Caller) -> bool:
    """Direct messages to the caller failed (DMs closed) since they last added a watch item."""
    gone = await sub_store.gone_targets(caller.platform, [caller.user_id])
    return caller.user_id in gone
