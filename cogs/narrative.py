"""/narrative <phrase>: one narrative's breakdown with its chart; autocomplete over narratives."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import show_narrative
from bot.discord.translator import ls
from bot.service.narratives import NarrativeService

CHOICE_MAX = 100  # Discord's limit for a choice's name and value


class Narrative(commands.Cog):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.narrative"), description=ls("cmd.narrative"))
    @app_commands.rename(phrase=ls("name.phrase"))
    @app_commands.describe(phrase=ls("desc.phrase"))
    async def narrative(self, interaction: discord.Interaction, phrase: str) -> None:
        await show_narrative(self.service, interaction, phrase)

    @narrative.autocomplete("phrase")
    async def _phrase_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self.service.autocomplete(current)
        return [
            app_commands.Choice(name=c.name[:CHOICE_MAX], value=c.value[:CHOICE_MAX])
            for c in choices[:25]
        ]


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Narrative(bot.service))
