"""Japanese names and descriptions for the slash commands, and the reply language of a user.

Command texts shared with Telegram ("cmd.*") come from bot.i18n; the rest (subcommands,
options) only exist on Discord and live here. Strings are registered with
`locale_str(english, key=...)`; the Translator looks the key up for the requested locale.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import DEFAULT_LANGUAGE, negotiate, t

# Discord-only texts: key → (English, Japanese). Names must be lowercase, 1-32 characters.
DISCORD_TEXTS: dict[str, tuple[str, str]] = {
    "name.ghosts": ("ghosts", "ゴースト"),
    "name.narrative": ("narrative", "ナラティブ"),
    "name.watch": ("watch", "ウォッチ"),
    "name.alerts": ("alerts", "通知"),
    "name.leaders": ("leaders", "リーダー"),
    "name.status": ("status", "状態"),
    "name.add": ("add", "追加"),
    "name.remove": ("remove", "削除"),
    "name.list": ("list", "一覧"),
    "name.channel": ("channel", "チャンネル"),
    "name.threshold": ("threshold", "しきい値"),
    "name.off": ("off", "オフ"),
    "name.hours": ("hours", "時間"),
    "name.phrase": ("phrase", "フレーズ"),
    "name.item": ("item", "対象"),
    "name.handle": ("handle", "ハンドル"),
    "name.score": ("score", "スコア"),
    "name.operator": ("operator", "運用者"),
    "name.leader_add": ("leader-add", "リーダー追加"),
    "name.leader_remove": ("leader-remove", "リーダー削除"),
    "name.quiet": ("quiet", "除外"),
    "name.unquiet": ("unquiet", "除外解除"),
    "cmd.operator": ("Operator commands (GHOSTWATCH_OPERATORS only)", "運用者用コマンド"),
    "desc.operator_add": (
        "Track a leader for every server and chat",
        "全サーバー・チャット共通でリーダーを追跡する",
    ),
    "desc.operator_remove": (
        "Stop tracking an operator-added leader everywhere",
        "運用者が追加したリーダーの追跡を全体でやめる",
    ),
    "desc.alerts_quiet": (
        "Mute a @leader or phrase in this server's alerts",
        "このサーバーの通知から @リーダー やフレーズを除外する",
    ),
    "desc.alerts_unquiet": ("Unmute a @leader or phrase", "除外を解除する"),
    "desc.quiet_item": ("A @leader or a phrase", "@リーダー またはフレーズ"),
    "desc.hours": ("Look back this many hours (1-48)", "何時間さかのぼるか（1〜48）"),
    "desc.phrase": ("A tracked narrative or phrase", "追跡中のナラティブまたはフレーズ"),
    "desc.watch_add": ("Get a DM when this takes off", "広がり始めたら DM で知らせる"),
    "desc.watch_remove": ("Stop watching something", "ウォッチをやめる"),
    "desc.watch_list": ("Your watch list", "ウォッチリスト"),
    "desc.item": ("A phrase, @leader or $TICKER", "フレーズ・@リーダー・$ティッカー"),
    "desc.alerts_channel": ("Post alerts in this channel", "このチャンネルに通知を投稿する"),
    "desc.alerts_threshold": ("Alert at this score or more", "このスコア以上で通知する"),
    "desc.alerts_off": ("Stop alerts in this server", "このサーバーの通知を止める"),
    "desc.alerts_status": ("Show this server's alert settings", "このサーバーの通知設定"),
    "desc.channel": ("The channel for alerts", "通知を投稿するチャンネル"),
    "desc.score": ("Score 0-100", "スコア 0〜100"),
    "desc.leaders_list": ("Tracked thought leaders", "追跡中のリーダー"),
    "desc.leaders_add": (
        "Follow an account in this server's views",
        "このサーバーの表示でアカウントをフォローする",
    ),
    "desc.leaders_remove": (
        "Stop tracking a leader added here",
        "このサーバーで追加したリーダーの追跡をやめる",
    ),
    "desc.handle": (
        "A handle like @karpathy, or network:handle like reddit:spez",
        "ハンドル（例: @karpathy）または ネットワーク:ハンドル（例: reddit:spez）",
    ),
    # replies that only Discord needs
    "reply.guild_only": ("Use this command in a server.", "サーバー内で使ってください。"),
    "reply.missing_permission": (
        "You need the Manage Server permission for this.",
        "これには「サーバー管理」権限が必要です。",
    ),
    "reply.alerts_channel": (
        "Alerts will be posted in {channel} at score {threshold:.0f} or more.",
        "スコア {threshold:.0f} 以上の通知を {channel} に投稿します。",
    ),
    "reply.alerts_channel_none": (
        "No alert channel is set. Use /alerts channel.",
        "通知チャンネルが未設定です。/alerts channel で設定してください。",
    ),
    "reply.alerts_disabled_admin": (
        "⚠️ Alerts to {channel} were stopped: {reason}. Fix the bot's permissions there and "
        "run /alerts channel again.",
        "⚠️ {channel} への通知を停止しました: {reason}。権限を直して /alerts channel を"
        "もう一度実行してください。",
    ),
    "reason.missing_access": (
        "the bot can no longer post in that channel",
        "ボットがそのチャンネルに投稿できなくなりました",
    ),
    "reply.dm_note": (
        "Alerts come by direct message: allow DMs from server members in this server's "
        "privacy settings.",
        "通知は DM で届きます。"
        "このサーバーのプライバシー設定でメンバーからの DM を許可してください。",
    ),
    "reply.usage": ("Usage: {usage}", "使い方: {usage}"),
    "reply.choose": ("Open a narrative…", "ナラティブを開く…"),
}

# Usage lines of the slash commands (the Telegram ones in bot.i18n have other syntax).
DISCORD_USAGE: dict[str, str] = {
    "ghosts": "/ghosts [hours 1-48]",
    "narrative": "/narrative <phrase>",
    "watch": "/watch add <item> | /watch remove <item> | /watch list",
    "unwatch": "/watch remove <item>",
    "watchlist": "/watch list",
    "alerts": (
        "/alerts channel <#channel> | threshold <0-100> | off | status | "
        "quiet <@leader|phrase> | unquiet <@leader|phrase>"
    ),
    "leaders": "/leaders list | add <handle> | remove <handle>  (handle or network:handle)",
    "operator": "/operator leader-add <handle> | leader-remove <handle>",
    "status": "/status",
}


def text(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """A Discord-only text (DISCORD_TEXTS) or, failing that, a shared bot.i18n text."""
    pair = DISCORD_TEXTS.get(key)
    if pair is None:
        return t(key, lang, **params)
    template = pair[1] if lang == "ja" else pair[0]
    return template.format(**params) if params else template


def ls(key: str) -> app_commands.locale_str:
    """A translatable command string; the English text is what Discord shows by default."""
    pair = DISCORD_TEXTS.get(key)
    english = pair[0] if pair else t(key, "en")
    return app_commands.locale_str(english, key=key)


def usage(command: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return text("reply.usage", lang, usage=DISCORD_USAGE.get(command, f"/{command}"))


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
        if not key:
            return None
        if key in DISCORD_TEXTS:
            return DISCORD_TEXTS[key][1]
        translated = t(key, "ja")
        return translated if translated != key else None
