"""The one error report: every failed command or component ends in a short ephemeral message."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord.replies import reply
from bot.discord.translator import lang_of
from bot.i18n import t
from bot.render.discord import plain
from bot.render.errors import Syntax, error_text, usage_line
from bot.service.errors import ServiceError

log = logging.getLogger(__name__)


def error_message(interaction: discord.Interaction, error: BaseException) -> str:
    """What the user reads for `error`, in their language."""
    lang = lang_of(interaction)
    original: BaseException = error
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
    if isinstance(original, ServiceError):
        return plain(error_text(original, lang, Syntax.DISCORD))
    outside_server = isinstance(error, app_commands.CheckFailure) and interaction.guild_id is None
    if isinstance(error, app_commands.NoPrivateMessage) or outside_server:
        # guild_only() only hides commands in DMs; a stale client can still send them.
        return t("reply.guild_only", lang)
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return t("reply.missing_permission", lang)
    if isinstance(error, app_commands.TransformerError):
        name = interaction.command.name if interaction.command else "help"
        return usage_line(name, lang, Syntax.DISCORD)
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
