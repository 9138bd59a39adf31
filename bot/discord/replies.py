"""What every cog does around the service call: who is asking, and answering the interaction."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import discord

from bot.discord.translator import lang_of
from bot.render.discord import CHART_FILENAME, narrative_embed
from bot.service.types import Caller, NarrativeDetail, SettingsScope

if TYPE_CHECKING:
    from bot.service.narratives import NarrativeService

PLATFORM = "discord"


@runtime_checkable
class ServiceHolder(Protocol):
    """A client that holds the service: the ghostwatch bots (bot/discord/bot.py)."""

    service: NarrativeService


def service_of(interaction: discord.Interaction) -> NarrativeService:
    """The bot's service, for persistent components: discord.py builds those from a custom id,
    so they cannot be handed the service as cogs are."""
    client = interaction.client
    if not isinstance(client, ServiceHolder):
        raise TypeError(f"not a ghostwatch bot: {type(client).__name__}")
    return client.service


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in a server (as Discord computed it for this interaction); DMs: yes."""
    if interaction.guild_id is None:
        return True
    return bool(interaction.permissions.manage_guild)


def caller_of(interaction: discord.Interaction) -> Caller:
    """In a server, settings are the server's (one follow list, one alert channel); in a DM,
    the DM channel's."""
    guild_id = str(interaction.guild_id) if interaction.guild_id else None
    return Caller(
        platform=PLATFORM,
        chat_id=str(interaction.channel_id),
        user_id=str(interaction.user.id),
        is_admin=is_admin(interaction),
        language=lang_of(interaction),
        guild_id=guild_id,
        private=guild_id is None,
        scope=SettingsScope.CHANNEL if guild_id is None else SettingsScope.GUILD,
    )


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    file: discord.File | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer the interaction, or follow up when it was already answered or deferred."""
    kwargs: dict[str, Any] = {
        "ephemeral": ephemeral,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    if view is not None:
        kwargs["view"] = view
    response = interaction.response
    if not response.is_done():
        await response.send_message(**kwargs)
    elif response.type is discord.InteractionResponseType.deferred_channel_message:
        # Replace the "thinking…" placeholder (it already carries the ephemeral flag).
        del kwargs["ephemeral"]
        if "file" in kwargs:
            kwargs["attachments"] = [kwargs.pop("file")]
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.followup.send(**kwargs)


def chart_file(detail: NarrativeDetail) -> discord.File | None:
    if detail.chart_png is None:
        return None
    return discord.File(io.BytesIO(detail.chart_png), filename=CHART_FILENAME)


async def show_narrative(
    service: NarrativeService,
    interaction: discord.Interaction,
    query: str,
    *,
    by_ref: bool = False,
    ephemeral: bool = False,
) -> None:
    """The breakdown embed with its chart, for /narrative, the Details button and /ghosts."""
    lang = lang_of(interaction)
    # Rendering the chart takes a moment: acknowledge first so the token stays valid.
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    caller = caller_of(interaction)
    if by_ref:
        detail = await service.narrative_by_ref(query, caller)
    else:
        detail = await service.narrative(query, caller)
    embed = narrative_embed(detail, lang)
    file = chart_file(detail)
    await reply(interaction, embed=embed, file=file, ephemeral=ephemeral)
