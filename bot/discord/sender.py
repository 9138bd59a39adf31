"""DiscordAlertSender: alerts as embeds in channels and in direct messages.

discord.py waits out 429s itself (it sleeps for the `retry_after` Discord sends and retries),
so only what it gives up on reaches the dispatcher: a 403 or a deleted channel becomes
TargetGone (the dispatcher disables that subscription), anything else is raised as is.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.alerts.sender import RetryLater, TargetGone
from bot.discord.views import alert_view
from bot.render.discord import alert_embed
from bot.service.types import AlertCard

if TYPE_CHECKING:
    from bot.discord.bot import AnyBot

log = logging.getLogger(__name__)

# JSON error codes Discord documents for "this target is gone for us".
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
CANNOT_DM_USER = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_USER = 10013

REASON_FORBIDDEN = "forbidden: the bot cannot post in this channel (Discord {code})"
REASON_DELETED = "the channel no longer exists (Discord {code})"
REASON_DMS_CLOSED = "dms_closed: the user does not accept direct messages (Discord {code})"


class DiscordAlertSender:
    """The AlertSender for Discord; messages carry persistent Details/Watch buttons."""

    platform = "discord"

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    async def send_alert(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        channel = self.bot.get_partial_messageable(int(chat_id), type=discord.ChannelType.text)
        try:
            message = await self._send(channel, card, language)
        except discord.Forbidden as exc:
            raise TargetGone(REASON_FORBIDDEN.format(code=exc.code)) from None
        except discord.NotFound as exc:
            raise TargetGone(REASON_DELETED.format(code=exc.code)) from None
        return str(message.id)

    async def send_direct(self, user_id: str, card: AlertCard, language: str) -> str | None:
        try:
            dm = await self.bot.create_dm(discord.Object(int(user_id)))
            message = await self._send(dm, card, language)
        except discord.Forbidden as exc:
            # 50007: DMs closed (privacy settings) or no shared server any more.
            raise TargetGone(REASON_DMS_CLOSED.format(code=exc.code)) from None
        except discord.NotFound as exc:
            raise TargetGone(f"unknown user (Discord {exc.code})") from None
        return str(message.id)

    async def _send(
        self, channel: discord.abc.Messageable, card: AlertCard, language: str
    ) -> discord.Message:
        view = alert_view(card, language)
        try:
            return await channel.send(
                embed=alert_embed(card, language),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.RateLimited as exc:  # only when a max ratelimit timeout is configured
            raise RetryLater(exc.retry_after) from None
        except discord.HTTPException as exc:
            if exc.status != 429:
                raise
            # A 429 discord.py would not wait out (e.g. from Cloudflare, without Via/JSON).
            raise RetryLater(_retry_after(exc.response.headers.get("Retry-After"))) from None
        finally:
            # Clicks are handled by the dynamic items registered at start-up, for every alert
            # ever sent; the per-message view object is not needed after sending.
            view.stop()


def _retry_after(header: str | None, default: float = 5.0) -> float:
    try:
        return max(0.0, float(header)) if header else default
    except ValueError:
        return default
