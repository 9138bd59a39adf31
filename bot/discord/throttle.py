"""Per-user and per-channel command rate limits for the Discord front end.

The command tree's global check runs before every slash command: one over the limit gets one
ephemeral reply, later ones are dropped until the bucket refills (bot/service/ratelimit.py).
Autocomplete is not limited (it fires on every keystroke and is answered cheaply).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n import negotiate, t
from bot.service.ratelimit import CommandLimiter, Verdict

PLATFORM = "discord"


class ThrottledTree(app_commands.CommandTree[Any]):
    def __init__(self, client: Any, **options: Any) -> None:
        super().__init__(client, **options)
        self.limiter = CommandLimiter()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.type is not discord.InteractionType.application_command:
            return True
        chat = str(interaction.channel_id or interaction.user.id)
        verdict = self.limiter.check(PLATFORM, chat, str(interaction.user.id))
        if verdict is Verdict.WARN:
            text = t("error.rate_limited", negotiate(str(interaction.locale.value)))
            await interaction.response.send_message(text, ephemeral=True)
        return verdict is Verdict.ALLOW
