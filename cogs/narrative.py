"""/narrative <phrase>: one narrative's breakdown with its chart; autocomplete over narratives."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.replies import service_of, show_narrative
from bot.discord.translator import ls

CHOICE_MAX = 100  # Discord's limit for a choice's name and value


class Narrative(commands.Cog):
    @app_commands.command(name=ls("name.narrative"), description=ls("cmd.narrative"))
    @app_commands.rename(phrase=ls("name.phrase"))
    @app_commands.describe(phrase=ls("desc.phrase"))
    async def narrative(self, interaction: discord.Interaction, phrase: str) -> None:
        await show_narrative(interaction, phrase)

    @narrative.autocomplete("phrase")
    async def _phrase_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await service_of(interaction).autocomplete(current)
        return [
            app_commands.Choice(name=c.name[:CHOICE_MAX], value=c.value[:CHOICE_MAX])
            for c in choices[:25]
        ]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Narrative())
