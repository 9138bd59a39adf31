"""/status: sources, their health, and what ghostwatch tracks."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.replies import reply, service_of
from bot.discord.translator import lang_of, ls
from bot.render.discord import status_embed


class Status(commands.Cog):
    @app_commands.command(name=ls("name.status"), description=ls("cmd.status"))
    async def status(self, interaction: discord.Interaction) -> None:
        report = await service_of(interaction).status()
        await reply(interaction, embed=status_embed(report, lang_of(interaction)), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Status())
