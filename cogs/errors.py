"""The one error handler: every failed command or component ends in a short ephemeral message."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.replies import reply
from bot.discord.translator import lang_of, text, usage
from bot.i18n import t
from bot.render.discord import plain
from bot.service.errors import BadArgument, ServiceError

log = logging.getLogger(__name__)


def error_message(interaction: discord.Interaction, error: BaseException) -> str:
    """What the user reads for `error`, in their language."""
    lang = lang_of(interaction)
    original: BaseException = error
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
    if isinstance(original, BadArgument):
        lines = [t(original.detail_key, lang)] if original.detail_key else []
        lines.append(usage(original.usage, lang))
        return plain("\n".join(lines))
    if isinstance(original, ServiceError):
        return plain(t(original.key, lang, **original.params))
    outside_server = isinstance(error, app_commands.CheckFailure) and interaction.guild_id is None
    if isinstance(error, app_commands.NoPrivateMessage) or outside_server:
        # guild_only() only hides commands in DMs; a stale client can still send them.
        return text("reply.guild_only", lang)
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return text("reply.missing_permission", lang)
    if isinstance(error, app_commands.TransformerError):
        name = interaction.command.name if interaction.command else "help"
        return usage(name, lang)
    log.error(
        "discord: command %s failed",
        interaction.command.qualified_name if interaction.command else "component",
        exc_info=(type(original), original, original.__traceback__),
    )
    return t("error.internal", lang)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user, briefly and only them; never let a reporting failure escape."""
    try:
        await reply(interaction, error_message(interaction, error), ephemeral=True)
    except discord.HTTPException:
        log.warning("discord: could not report an error to the user", exc_info=True)


async def on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    await report_error(interaction, error)


async def setup(bot: commands.Bot) -> None:
    bot.tree.on_error = on_tree_error  # type: ignore[method-assign]
