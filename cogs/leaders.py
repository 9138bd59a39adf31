"""/leaders list|add|remove: tracked thought leaders; a server adds its own (Manage Server)."""

from __future__ import annotations

from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.replies import caller_of, reply, service_of
from bot.discord.translator import lang_of, ls
from bot.i18n import t
from bot.render.discord import leaders_embed, plain
from bot.service.types import Caller


def server_caller(interaction: discord.Interaction) -> Caller:
    """Leaders added on Discord belong to the whole server, not to one channel."""
    caller = caller_of(interaction)
    return replace(caller, chat_id=caller.guild_id or caller.chat_id)


@app_commands.guild_only()
class Leaders(
    commands.GroupCog, group_name=ls("name.leaders"), group_description=ls("cmd.leaders")
):
    @app_commands.command(name=ls("name.list"), description=ls("desc.leaders_list"))
    async def list(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        leaders = await service_of(interaction).leaders(server_caller(interaction))
        await reply(interaction, embed=leaders_embed(leaders, lang))

    @app_commands.command(name=ls("name.add"), description=ls("desc.leaders_add"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await service_of(interaction).add_leader(server_caller(interaction), handle)
        key = "leaders.added" if change.changed else "leaders.exists"
        await reply(interaction, plain(t(key, lang, handle=change.handle)))

    @app_commands.command(name=ls("name.remove"), description=ls("desc.leaders_remove"))
    @app_commands.rename(handle=ls("name.handle"))
    @app_commands.describe(handle=ls("desc.handle"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, handle: str) -> None:
        lang = lang_of(interaction)
        change = await service_of(interaction).remove_leader(server_caller(interaction), handle)
        await reply(interaction, plain(t("leaders.removed", lang, handle=change.handle)))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Leaders())
