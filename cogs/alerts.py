"""/alerts channel|threshold|off|status|quiet|unquiet: a server's alerts (Manage Server only).

`quiet` and `unquiet` mute a @leader or a phrase in the server's alert channel, as Telegram's
`/alerts quiet|unquiet` do for a chat. Before an admin chose the alert channel, the service
raises NoAlertChannel, which the one error report words as "no alert channel is set".

Also tells a server admin, on their next command, when alerts stopped because the bot lost
the permission to post in the alert channel (the dispatcher disabled it after a 403).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import AnyBot
from bot.discord.replies import caller_of, is_admin, reply
from bot.discord.translator import lang_of, ls
from bot.i18n import t
from bot.render.chat_settings import disabled_reason, quiet_text
from bot.render.discord import clip, esc, plain, subscription_embed
from bot.service.narratives import NarrativeService


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Alerts(commands.GroupCog, group_name=ls("name.alerts"), group_description=ls("cmd.alerts")):
    def __init__(self, service: NarrativeService) -> None:
        super().__init__()
        self.service = service
        self._told: set[tuple[str, str]] = set()  # (channel id, reason) already reported

    @app_commands.command(name=ls("name.channel"), description=ls("desc.alerts_channel"))
    @app_commands.rename(channel=ls("name.channel"))
    @app_commands.describe(channel=ls("desc.channel"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        lang = lang_of(interaction)
        sub = await self.service.set_alert_channel(caller_of(interaction), str(channel.id))
        self._told = {told for told in self._told if told[0] != str(channel.id)}
        message = t("reply.alerts_channel", lang, channel=channel.mention, threshold=sub.threshold)
        await reply(interaction, message, ephemeral=True)

    @app_commands.command(name=ls("name.threshold"), description=ls("desc.alerts_threshold"))
    @app_commands.rename(score=ls("name.score"))
    @app_commands.describe(score=ls("desc.score"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def threshold(
        self, interaction: discord.Interaction, score: app_commands.Range[float, 0, 100]
    ) -> None:
        lang = lang_of(interaction)
        sub = await self.service.set_threshold(caller_of(interaction), score)
        await reply(
            interaction, t("alerts.threshold", lang, threshold=sub.threshold), ephemeral=True
        )

    @app_commands.command(name=ls("name.off"), description=ls("desc.alerts_off"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def off(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        await self.service.set_alerts(caller_of(interaction), False)
        await reply(interaction, t("alerts.off", lang), ephemeral=True)

    @app_commands.command(name=ls("name.quiet"), description=ls("desc.alerts_quiet"))
    @app_commands.rename(item=ls("name.item"))
    @app_commands.describe(item=ls("desc.quiet_item"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def quiet(self, interaction: discord.Interaction, item: str) -> None:
        await self._quiet(interaction, item, mute=True)

    @app_commands.command(name=ls("name.unquiet"), description=ls("desc.alerts_unquiet"))
    @app_commands.rename(item=ls("name.item"))
    @app_commands.describe(item=ls("desc.quiet_item"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def unquiet(self, interaction: discord.Interaction, item: str) -> None:
        await self._quiet(interaction, item, mute=False)

    async def _quiet(self, interaction: discord.Interaction, item: str, *, mute: bool) -> None:
        lang = lang_of(interaction)
        await self.service.quiet(caller_of(interaction), item, mute=mute)
        await reply(interaction, plain(quiet_text(item, mute, lang)), ephemeral=True)

    @app_commands.command(name=ls("name.status"), description=ls("desc.alerts_status"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction)
        sub = await self.service.subscription(caller_of(interaction))
        mention = f"<#{int(sub.chat_id)}>" if sub.subscribed else None
        await reply(interaction, embed=subscription_embed(sub, lang, mention), ephemeral=True)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command | app_commands.ContextMenu,
    ) -> None:
        """After any command by a server admin: report alert channels that stopped working."""
        if interaction.guild_id is None or not is_admin(interaction):
            return
        lang = lang_of(interaction)
        for sub in await self.service.unreachable_channels(caller_of(interaction)):
            told = (sub.chat_id, sub.disabled_reason or "")
            if told in self._told:
                continue
            self._told.add(told)
            reason = esc(disabled_reason(sub.disabled_reason or "", lang))
            message = t(
                "reply.alerts_disabled_admin", lang, channel=f"<#{int(sub.chat_id)}>", reason=reason
            )
            await interaction.followup.send(
                clip(message, 2000), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Alerts(bot.service))
