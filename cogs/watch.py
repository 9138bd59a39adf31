"""/watch add|remove|list: a user's own watch list (ephemeral); matches arrive by DM."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import caller_of, reply
from bot.discord.translator import lang_of, ls
from bot.i18n import t
from bot.render.chat_settings import unwatch_text, watch_text
from bot.render.discord import plain, watch_list_embed
from bot.service.narratives import NarrativeService


class Watch(commands.GroupCog, group_name=ls("name.watch"), group_description=ls("cmd.watch")):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.add"), description=ls("desc.watch_add"))
    @app_commands.rename(item=ls("name.item"))
    @app_commands.describe(item=ls("desc.item"))
    async def add(self, interaction: discord.Interaction, item: str) -> None:
        lang = lang_of(interaction)
        result = await self.service.watch(caller_of(interaction), item)
        message = plain(watch_text(result, lang)) + "\n" + t("reply.dm_note", lang)
        await reply(interaction, message, ephemeral=True)

    @app_commands.command(name=ls("name.remove"), description=ls("desc.watch_remove"))
    @app_commands.rename(item=ls("name.item"))
    @app_commands.describe(item=ls("desc.item"))
    async def remove(self, interaction: discord.Interaction, item: str) -> None:
        lang = lang_of(interaction)
        result = await self.service.unwatch(caller_of(interaction), item)
        await reply(interaction, plain(unwatch_text(result, lang)), ephemeral=True)

    @remove.autocomplete("item")
    async def _own_items(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        watch = await self.service.watchlist(caller_of(interaction))
        needle = current.casefold()
        return [
            app_commands.Choice(name=w.display[:100], value=w.display[:100])
            for w in watch.items
            if needle in w.display.casefold()
        ][:25]

    @app_commands.command(name=ls("name.list"), description=ls("desc.watch_list"))
    async def list(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        caller = caller_of(interaction)
        watch = await self.service.watchlist(caller)
        embed = watch_list_embed(watch, lang)
        if watch.items and await self.service.direct_messages_closed(caller):
            embed.add_field(name="⚠️", value=t("reply.dm_note", lang))
        await reply(interaction, embed=embed, ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Watch(bot.service))
