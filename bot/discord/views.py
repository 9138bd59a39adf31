"""Persistent components: alert buttons and the /ghosts picker, alive across restarts.

Core code (the alert sender) builds these views, so they live here and not in a cog;
`cogs/views.py` registers them with the bot.

custom_id scheme (at most 100 characters, stable across versions):
    gw:d:<ref>   "Details" button on an alert  → the narrative's breakdown (ephemeral)
    gw:w:<ref>   "Watch" button on an alert    → adds the narrative's phrase to the clicker's list
    gw:o         select menu under /ghosts    → the chosen narrative (values are refs)
<ref> is the service's short stable narrative id (NarrativeSummary.ref / AlertCard.ref). The
items are DynamicItems registered in setup_hook, so a click on a message sent before a
restart still reaches its handler.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from typing import Any

import discord

from bot.discord.errors import report_error
from bot.discord.replies import caller_of, reply, service_of, show_narrative
from bot.discord.translator import lang_of
from bot.i18n import t
from bot.render.chat_settings import watching_text
from bot.render.discord import plain, select_label
from bot.service.types import AlertCard, GhostsResult

PREFIX = "gw"
Callback = Callable[[Any, discord.Interaction], Coroutine[Any, Any, None]]


def reported(callback: Callback) -> Callback:
    """Component callbacks bypass the command tree: route their errors to the same handler."""

    @functools.wraps(callback)
    async def run(self: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    return run


REF_PATTERN = r"[A-Za-z0-9_.:-]{1,90}"


def card_ref(card: AlertCard) -> str:
    ref = getattr(card, "ref", "") or card.key
    return ref[:90]


class DetailsButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"gw:d:(?P<ref>{REF_PATTERN})"
):
    def __init__(self, ref: str, label: str = "Details") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.primary, custom_id=f"{PREFIX}:d:{ref}"
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DetailsButton:
        return cls(match["ref"])

    @reported
    async def callback(self, interaction: discord.Interaction) -> None:
        await show_narrative(
            service_of(interaction), interaction, self.ref, by_ref=True, ephemeral=True
        )


class WatchButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"gw:w:(?P<ref>{REF_PATTERN})"
):
    def __init__(self, ref: str, label: str = "Watch") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=f"{PREFIX}:w:{ref}"
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> WatchButton:
        return cls(match["ref"])

    @reported
    async def callback(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        result = await service_of(interaction).watch_ref(caller_of(interaction), self.ref)
        message = plain(watching_text(result, lang)) + "\n" + t("reply.dm_note", lang)
        await reply(interaction, message, ephemeral=True)


class OpenSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"gw:o"):
    def __init__(
        self, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"{PREFIX}:o",
                placeholder=placeholder or None,
                options=options or [discord.SelectOption(label="-", value="-")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OpenSelect:
        return cls()

    @reported
    async def callback(self, interaction: discord.Interaction) -> None:
        values = self.item.values
        if not values:
            return
        await show_narrative(
            service_of(interaction), interaction, values[0], by_ref=True, ephemeral=True
        )


def alert_view(card: AlertCard, lang: str) -> discord.ui.View:
    """The buttons under an alert."""
    view = discord.ui.View(timeout=None)
    ref = card_ref(card)
    view.add_item(DetailsButton(ref, t("button.details", lang)))
    view.add_item(WatchButton(ref, t("button.watch", lang)))
    return view


def ghosts_view(result: GhostsResult, lang: str) -> discord.ui.View | None:
    """A menu to open one of the listed narratives (None when nothing is listed)."""
    options = [
        discord.SelectOption(label=select_label(item), value=(item.ref or item.key)[:100])
        for item in result.narratives[:25]
    ]
    if not options:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(OpenSelect(options, t("reply.choose", lang)))
    return view
