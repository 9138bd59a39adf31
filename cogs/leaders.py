"""/leaders list|add|remove, and /operator leader-add|leader-remove.

A server's `/leaders add` (Manage Server) follows an account in that server's own /ghosts and
/narrative only; it never changes what the engine tracks or what other chats are told
(bot/leaders.py). The global set changes only through /operator, for GHOSTWATCH_OPERATORS.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import caller_of, reply
from bot.discord.translator import lang_of, ls
from bot.render.chat_settings import leader_text
from bot.render.discord import leaders_embed, plain
from bot.service.narratives import NarrativeService


@app_commands.guild_only()
class Leaders(
    commands.GroupCog, group_name=ls("name.leaders"), group_description=ls("cmd.leaders")
):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.list"), description=ls("desc.leaders_list"))
    async def list(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        leaders = await self.service.leaders(caller_of(interaction))
        await reply(interaction, embed=leaders_embed(leaders, lang))

    @app_commands.command(name=ls("name.add"), description=ls("desc.leaders_add"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await self.service.add_leader(caller_of(interaction), handle)
        key = "leaders.added" if change.changed else "leaders.exists"
        await reply(interaction, plain(leader_text(key, change, lang)))

    @app_commands.command(name=ls("name.remove"), description=ls("desc.leaders_remove"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await self.service.remove_leader(caller_of(interaction), handle)
        await reply(interaction, plain(leader_text("leaders.removed", change, lang)))


class Operator(
    commands.GroupCog, group_name=ls("name.operator"), group_description=ls("cmd.operator")
):
    """Works anywhere (a DM too): the service checks the user id against GHOSTWATCH_OPERATORS."""

    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service

    @app_commands.command(name=ls("name.leader_add"), description=ls("desc.operator_add"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    async def leader_add(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await self.service.add_global_leader(caller_of(interaction), handle)
        key = "leaders.global_added" if change.changed else "leaders.exists"
        await reply(interaction, plain(leader_text(key, change, lang)), ephemeral=True)

    @app_commands.command(name=ls("name.leader_remove"), description=ls("desc.operator_remove"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    async def leader_remove(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await self.service.remove_global_leader(caller_of(interaction), handle)
        text = leader_text("leaders.global_removed", change, lang)
        await reply(interaction, plain(text), ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Leaders(bot.service))
    await bot.add_cog(Operator(bot.service))
