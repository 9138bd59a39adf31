"""Registers the persistent components (bot/discord/views.py), so clicks survive restarts."""

from __future__ import annotations

from discord.ext import commands

from bot.discord.views import DetailsButton, OpenSelect, WatchButton


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(DetailsButton, WatchButton, OpenSelect)
