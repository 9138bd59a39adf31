"""/status: sources, their health, and what ghostwatch tracks."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import reply
from bot.discord.translator import lang_of, ls
from bot.render.discord import status_embed
from bot.service.narratives import NarrativeService


class Status(commands.Cog):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.status"), description=ls("cmd.status"))
    async def status(self, interaction: discord.Interaction) -> None:
        report = await self.service.status()
        await reply(interaction, embed=status_embed(report, lang_of(interaction)), ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Status(bot.service))
