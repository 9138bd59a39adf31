"""/ghosts [hours]: the emerging narratives, with a menu to open one."""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import caller_of, reply
from bot.discord.translator import lang_of, ls
from bot.discord.views import ghosts_view
from bot.render.discord import ghosts_embed
from bot.service.inputs import parse_hours
from bot.service.narratives import NarrativeService

DEFAULT_HOURS = 6
LIMIT = 10


class Ghosts(commands.Cog):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.ghosts"), description=ls("cmd.ghosts"))
    @app_commands.rename(hours=ls("name.hours"))
    @app_commands.describe(hours=ls("desc.hours"))
    async def ghosts(
        self,
        interaction: discord.Interaction,
        hours: app_commands.Range[int, 1, 48] = DEFAULT_HOURS,
    ) -> None:
        lang = lang_of(interaction)
        # Discord's client enforces the range, but discord.py does not check what arrives.
        window = timedelta(hours=parse_hours(hours))
        result = await self.service.ghosts(window, LIMIT, caller_of(interaction))
        await reply(interaction, embed=ghosts_embed(result, lang), view=ghosts_view(result, lang))


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Ghosts(bot.service))
