"""Slash-command strings from the one catalog (bot.i18n), and the reply language of a user.

Command and option names and descriptions are registered with `locale_str(english, key=...)`;
at sync time the Translator looks the key up in the same catalog every reply comes from.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import EN, JA, negotiate, t


def ls(key: str) -> app_commands.locale_str:
    """A translatable command string; the English text is what Discord shows by default."""
    return app_commands.locale_str(t(key, "en"), key=key)


def lang_of(interaction: discord.Interaction) -> str:
    """The reply language: the user's Discord client locale (en or ja)."""
    return negotiate(str(interaction.locale) if interaction.locale else None)


class GhostwatchTranslator(app_commands.Translator):
    """Japanese localizations for every command/option name and description at sync time."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is not discord.Locale.japanese:
            return None
        key = string.extras.get("key")
        # Only keys the catalog really has: a missing one leaves Discord's English default.
        if not key or key not in EN:
            return None
        return JA.get(key)
