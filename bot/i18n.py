"""Every user-facing text in English and Japanese, and language negotiation.

Templates are plain text with `str.format` fields; renderers escape the *formatted* result for
their platform, so parameters may hold untrusted text. Japanese falls back to English per key.
"""

from __future__ import annotations

import logging
import string
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
SUPPORTED = ("en", "ja")

# Discord's usage lines: command syntax, the same in every language (Telegram's differ).
DISCORD_USAGE: dict[str, str] = {
    "usage.discord.ghosts": "/ghosts [hours 1-48]",
    "usage.discord.narrative": "/narrative <phrase>",
    "usage.discord.watch": "/watch add <item> | /watch remove <item> | /watch list",
    "usage.discord.unwatch": "/watch remove <item>",
    "usage.discord.watchlist": "/watch list",
    "usage.discord.alerts": (
        "/alerts channel <#channel> | threshold <0-100> | off | status | "
        "quiet <@leader|phrase> | unquiet <@leader|phrase>"
    ),
    "usage.discord.leaders": (
        "/leaders list | add <handle> | remove <handle>  (handle or network:handle)"
    ),
    "usage.discord.operator": "/operator leader-add <handle> | leader-remove <handle>",
    "usage.discord.status": "/status",
}

EN: dict[str, str] = {
    # command descriptions (setMyCommands, Discord slash commands)
    "cmd.start": "Start ghostwatch",
    "cmd.help": "How to use ghostwatch",
    "cmd.ghosts": "Emerging narratives right now",
    "cmd.narrative": "One narrative in depth",
    "cmd.watch": "Watch a phrase, @leader or $TICKER",
    "cmd.unwatch": "Stop watching something",
    "cmd.watchlist": "Your watch list",
    "cmd.alerts": "Alerts for this chat: on, off, threshold",
    "cmd.leaders": "Tracked thought leaders",
    "cmd.status": "Sources and health",
    # usage lines
    "usage.ghosts": "/ghosts [hours 1-48]",
    "usage.narrative": "/narrative <phrase>",
    "usage.watch": "/watch <phrase | @leader | $TICKER>",
    "usage.unwatch": "/unwatch <phrase | @leader | $TICKER>",
    "usage.watchlist": "/watchlist",
    "usage.alerts": (
        "/alerts on | off | status | threshold <0-100> | language <en|ja> | "
        "quiet <@leader|phrase> | unquiet <@leader|phrase>"
    ),
    "usage.leaders": (
        "/leaders [add @handle | remove @handle]  (or network:handle, like reddit:spez)"
    ),
    "usage.operator": "/leaders global add|remove <@handle | network:handle>  (operators only)",
    "usage.status": "/status",
    "usage.help": "/help",
    "usage.start": "/start",
    # start / help
    "start.welcome": (
        "ghostwatch spots emerging meme narratives (like “summoning ghosts” or “vibe coding”) "
        "before they peak. Try /ghosts, or /help for all commands."
    ),
    "help.title": "ghostwatch commands",
    "help.footer": "In groups, only administrators can change alerts and leaders.",
    # errors
    "error.internal": "Something went wrong on our side. Please try again later.",
    "error.bad_argument": "Usage: {usage}",
    "error.unknown_command": "Unknown command. Try /help.",
    "error.not_admin": "Only chat administrators can change this.",
    "error.no_right": "Only administrators with the “Change group info” right can change this.",
    "error.unknown_narrative": "No tracked narrative matches “{query}”. Try /ghosts.",
    "error.watch_limit": "Your watch list is full ({limit} items). Remove one with /unwatch.",
    "error.watch_too_long": "That is too long: at most {limit} characters.",
    "error.not_watching": "“{value}” is not on your watch list.",
    "error.unknown_leader": "@{handle} is not a leader added in this chat.",
    "error.leader_limit": "This chat already has {limit} leaders of its own.",
    "error.dm_only": "Use this in a private chat with the bot.",
    "error.not_operator": "Only the bot's operators can change the leaders tracked for everyone.",
    "error.follows_private": "Follow lists belong to groups and servers: add leaders there.",
    "error.leader_configured": (
        "@{handle} comes from the bot's configuration; remove it there (GHOSTWATCH_LEADERS)."
    ),
    "error.anonymous_admin": (
        "Telegram does not tell bots which anonymous admin sent this, so its rights cannot be "
        "checked. Turn off “Remain anonymous” to change settings."
    ),
    "error.rate_limited": "That is a lot of commands at once. Please wait a minute.",
    "bad.threshold": "The threshold must be a number from 0 to 100.",
    "bad.hours": "Hours must be a whole number from 1 to 48.",
    "bad.empty": "Please say what to use.",
    "bad.handle": "A handle is letters, digits, “_”, “.” or “-”, like @karpathy.",
    "bad.ticker": "A ticker is 1-20 letters or digits after “$”, like $GHOST.",
    "bad.text": "That text has characters that cannot be used.",
    "bad.language": "Languages: en, ja.",
    # states and trends
    "state.quiet": "quiet",
    "state.emerging": "emerging",
    "state.viral": "viral",
    "state.cooling": "cooling",
    "state.dormant": "dormant",
    "trend.rising": "rising",
    "trend.peaking": "peaking",
    "trend.cooling": "cooling",
    # durations
    "time.seconds": "{n} s",
    "time.minutes": "{n} min",
    "time.hours": "{n} h",
    "time.days": "{n} d",
    "time.ago": "{duration} ago",
    # narrative pieces
    "ghosts.title": "Emerging narratives (last {hours} h)",
    "ghosts.empty": "Nothing is emerging right now. Check back soon.",
    "ghosts.quiet": "Nothing is live right now.",
    "ghosts.recent": "Alerted in the last {hours} h:",
    "ghosts.cooled": "peak {score:.0f}/100 · cooled {ago} ago",
    "label.score": "score {score:.0f}",
    "label.leader": "seeded by @{leader}",
    "label.seed_post": "seed post",
    "label.authors": "{authors} authors",
    "label.sources": "sources: {sources}",
    "label.tokens": "{count} token(s)",
    "label.tokens_delay": "first launched {delay} after the seed post",
    "label.best_token": "best ${symbol} (${liquidity:,.0f} liquidity)",
    "label.no_tokens": "no tokens yet",
    "narrative.title": "{label}",
    "narrative.why": "Why",
    "narrative.phrases": "Phrases",
    "narrative.first_post": "First post",
    "narrative.top_posts": "Top posts",
    "narrative.tokens": "Tokens",
    "narrative.chart": "Mentions and score of “{label}”",
    "narrative.post_line": "@{author} on {source}",
    "token.before_seed": "before seed",
    "token.after_seed": "after seed",
    "token.unknown_seed": "no seed time",
    "token.delay": "launched {delay} after the seed post",
    "token.liquidity": "${liquidity:,.0f} liquidity",
    # score reasons
    "reason.velocity": "×{ratio:.0f} its usual rate",
    "reason.new": "barely said before ({expected:.1f} mentions expected, {mentions} seen)",
    "reason.reach": "{authors} distinct authors across {sources} source(s)",
    "reason.leader": "first said by @{leader} {ago} ago",
    "reason.leader_no_time": "first said by @{leader}",
    "reason.accelerating": "still accelerating",
    "reason.engagement": "{engagement} likes, reposts and replies",
    "reason.tokens": "{count} token(s) launched on it",
    # watch list
    "watch.kind.phrase": "phrase",
    "watch.kind.leader": "leader",
    "watch.kind.token": "token",
    "watch.added": "Watching {kind} “{display}” ({count}/{limit}). You will get a direct message.",
    "watch.exists": "You already watch {kind} “{display}”.",
    "watch.removed": "Stopped watching {kind} “{display}”.",
    "watch.title": "Your watch list ({count}/{limit})",
    "watch.empty": "Your watch list is empty. Add something with /watch.",
    # chat alert settings
    "alerts.on": "Alerts are on for this chat (threshold {threshold:.0f}).",
    "alerts.off": "Alerts are off for this chat.",
    "alerts.threshold": "Alerts fire at score {threshold:.0f} or more.",
    "alerts.language": "This chat’s alerts are now in {language}.",
    "alerts.quiet_added": "Muted “{value}” in this chat’s alerts.",
    "alerts.quiet_removed": "Unmuted “{value}”.",
    "alerts.status_title": "Alert settings",
    "alerts.status_enabled": "Alerts: on",
    "alerts.status_disabled": "Alerts: off",
    "alerts.status_not_subscribed": "Alerts: not set up (use /alerts on)",
    "alerts.status_threshold": "Threshold: {threshold:.0f}",
    "alerts.status_language": "Language: {language}",
    "alerts.status_quiet": "Muted: {values}",
    "alerts.status_reason": "Stopped because: {reason}",
    "language.en": "English",
    "language.ja": "Japanese",
    # leaders
    "leaders.global": "Tracked leaders",
    "leaders.chat": "Followed in this chat (marked in this chat's /ghosts and /narrative only)",
    "leaders.none_chat": "No leaders added in this chat yet.",
    "leaders.added": "Added @{handle} for this chat.",
    "leaders.global_added": "Added @{handle} to the leaders tracked for every chat.",
    "leaders.global_removed": "Removed @{handle} from the leaders tracked for every chat.",
    "label.followed": "followed here: {handles}",
    "leaders.exists": "@{handle} is already tracked.",
    "leaders.removed": "Removed @{handle} from this chat.",
    # status
    "status.title": "ghostwatch status",
    "status.source": "{name}: {state}",
    "status.source_last": "last data {ago} ago",
    "status.source_error": "last error: {error}",
    "status.no_sources": "No sources reported yet.",
    "status.narratives": "Narratives tracked: {count}",
    "status.last_scan": "Last scan: {ago} ago",
    "status.never": "Last scan: not yet",
    "status.database_ok": "Database: ok",
    "status.database_down": "Database: unreachable",
    "status.pending": "Alerts waiting to be sent: {count}",
    "health.ok": "ok",
    "health.degraded": "degraded",
    "health.down": "down",
    "health.disabled": "disabled",
    # alerts
    "alert.title": "👻 Emerging narrative: {label}",
    "alert.title_again": "👻 Back again: {label}",
    "alert.score": "Score {score:.0f}/100",
    "alert.why": "Why",
    "alert.seed": "Seed post",
    "alert.details": "Details: {command}",
    "alert.dm_reason": "You get this because you watch {kind} “{display}”.",
    "button.details": "Details",
    "button.watch": "Watch",
    "callback.expired": "This button has expired.",
    "callback.watching": "Watching “{display}”.",
    # Discord only: slash command and option names (lowercase, 1-32 characters),
    # option descriptions, and replies only Discord gives
    "name.ghosts": "ghosts",
    "name.narrative": "narrative",
    "name.watch": "watch",
    "name.alerts": "alerts",
    "name.leaders": "leaders",
    "name.status": "status",
    "name.add": "add",
    "name.remove": "remove",
    "name.list": "list",
    "name.channel": "channel",
    "name.threshold": "threshold",
    "name.off": "off",
    "name.hours": "hours",
    "name.phrase": "phrase",
    "name.item": "item",
    "name.handle": "handle",
    "name.score": "score",
    "name.operator": "operator",
    "name.leader_add": "leader-add",
    "name.leader_remove": "leader-remove",
    "name.quiet": "quiet",
    "name.unquiet": "unquiet",
    "cmd.operator": "Operator commands (GHOSTWATCH_OPERATORS only)",
    "desc.operator_add": "Track a leader for every server and chat",
    "desc.operator_remove": "Stop tracking an operator-added leader everywhere",
    "desc.alerts_quiet": "Mute a @leader or phrase in this server's alerts",
    "desc.alerts_unquiet": "Unmute a @leader or phrase",
    "desc.quiet_item": "A @leader or a phrase",
    "desc.hours": "Look back this many hours (1-48)",
    "desc.phrase": "A tracked narrative or phrase",
    "desc.watch_add": "Get a DM when this takes off",
    "desc.watch_remove": "Stop watching something",
    "desc.watch_list": "Your watch list",
    "desc.item": "A phrase, @leader or $TICKER",
    "desc.alerts_channel": "Post alerts in this channel",
    "desc.alerts_threshold": "Alert at this score or more",
    "desc.alerts_off": "Stop alerts in this server",
    "desc.alerts_status": "Show this server's alert settings",
    "desc.channel": "The channel for alerts",
    "desc.score": "Score 0-100",
    "desc.leaders_list": "Tracked thought leaders",
    "desc.leaders_add": "Follow an account in this server's views",
    "desc.leaders_remove": "Stop tracking a leader added here",
    "desc.handle": "A handle like @karpathy, or network:handle like reddit:spez",
    "reply.guild_only": "Use this command in a server.",
    "reply.missing_permission": "You need the Manage Server permission for this.",
    "reply.alerts_channel": "Alerts will be posted in {channel} at score {threshold:.0f} or more.",
    "reply.alerts_channel_none": "No alert channel is set. Use /alerts channel.",
    "reply.alerts_disabled_admin": (
        "⚠️ Alerts to {channel} were stopped: {reason}. Fix the bot's permissions there and "
        "run /alerts channel again."
    ),
    "reason.missing_access": "the bot can no longer post in that channel",
    "reply.dm_note": (
        "Alerts come by direct message: allow DMs from server members in this server's "
        "privacy settings."
    ),
    "reply.choose": "Open a narrative…",
    **DISCORD_USAGE,
}

JA: dict[str, str] = {
    "cmd.start": "ghostwatch を始める",
    "cmd.help": "使い方",
    "cmd.ghosts": "いま広がり始めたナラティブ",
    "cmd.narrative": "ナラティブの詳細",
    "cmd.watch": "フレーズ・@リーダー・$ティッカーをウォッチ",
    "cmd.unwatch": "ウォッチをやめる",
    "cmd.watchlist": "ウォッチリスト",
    "cmd.alerts": "このチャットの通知: on / off / しきい値",
    "cmd.leaders": "追跡中のリーダー",
    "cmd.status": "ソースと稼働状況",
    "usage.ghosts": "/ghosts [時間 1-48]",
    "usage.narrative": "/narrative <フレーズ>",
    "usage.watch": "/watch <フレーズ | @リーダー | $ティッカー>",
    "usage.unwatch": "/unwatch <フレーズ | @リーダー | $ティッカー>",
    "usage.watchlist": "/watchlist",
    "usage.alerts": (
        "/alerts on | off | status | threshold <0-100> | language <en|ja> | "
        "quiet <@リーダー|フレーズ> | unquiet <@リーダー|フレーズ>"
    ),
    "usage.leaders": (
        "/leaders [add @ハンドル | remove @ハンドル]（ネットワーク:ハンドル も可。例: reddit:spez）"
    ),
    "usage.operator": (
        "/leaders global add|remove <@ハンドル | ネットワーク:ハンドル>（運用者のみ）"
    ),
    "usage.status": "/status",
    "usage.help": "/help",
    "usage.start": "/start",
    "start.welcome": (
        "ghostwatch は「summoning ghosts」や「vibe coding」のようなミームの芽を、"
        "ピークの前に見つけます。/ghosts を試すか、/help でコマンド一覧を見てください。"
    ),
    "help.title": "ghostwatch のコマンド",
    "help.footer": "グループでは、通知とリーダーの設定を変えられるのは管理者だけです。",
    "error.internal": "内部エラーが起きました。しばらくしてからもう一度お試しください。",
    "error.bad_argument": "使い方: {usage}",
    "error.unknown_command": "知らないコマンドです。/help をどうぞ。",
    "error.not_admin": "これを変更できるのはチャットの管理者だけです。",
    "error.no_right": "これを変更できるのは「グループ情報の変更」権限を持つ管理者だけです。",
    "error.unknown_narrative": "「{query}」に一致するナラティブはありません。/ghosts をどうぞ。",
    "error.watch_limit": (
        "ウォッチリストがいっぱいです（{limit} 件）。/unwatch で削除してください。"
    ),
    "error.watch_too_long": "長すぎます。{limit} 文字までです。",
    "error.not_watching": "「{value}」はウォッチリストにありません。",
    "error.unknown_leader": "@{handle} はこのチャットで追加されたリーダーではありません。",
    "error.leader_limit": "このチャットで追加できるリーダーは {limit} 人までです。",
    "error.dm_only": "ボットとの個別チャットで使ってください。",
    "error.not_operator": "全体で追跡するリーダーを変更できるのはボットの運用者だけです。",
    "error.follows_private": (
        "フォローリストはグループとサーバーのものです。そちらで追加してください。"
    ),
    "error.leader_configured": (
        "@{handle} はボットの設定で指定されています。"
        "設定（GHOSTWATCH_LEADERS）から削除してください。"
    ),
    "error.anonymous_admin": (
        "匿名の管理者が誰かをボットは確認できないため、権限を確認できません。"
        "設定を変えるには「匿名のままにする」をオフにしてください。"
    ),
    "error.rate_limited": "コマンドが多すぎます。1 分ほど待ってからお試しください。",
    "bad.threshold": "しきい値は 0 から 100 の数値で指定してください。",
    "bad.hours": "時間は 1 から 48 の整数で指定してください。",
    "bad.empty": "対象を指定してください。",
    "bad.handle": "ハンドルは英数字・「_」「.」「-」です（例: @karpathy）。",
    "bad.ticker": "ティッカーは「$」の後に英数字 1〜20 文字です（例: $GHOST）。",
    "bad.text": "使えない文字が含まれています。",
    "bad.language": "言語: en, ja",
    "state.quiet": "静穏",
    "state.emerging": "拡大中",
    "state.viral": "バイラル",
    "state.cooling": "沈静化",
    "state.dormant": "休眠",
    "trend.rising": "上昇",
    "trend.peaking": "ピーク",
    "trend.cooling": "下降",
    "time.seconds": "{n} 秒",
    "time.minutes": "{n} 分",
    "time.hours": "{n} 時間",
    "time.days": "{n} 日",
    "time.ago": "{duration}前",
    "ghosts.title": "広がり始めたナラティブ（直近 {hours} 時間）",
    "ghosts.empty": "いま広がり始めたものはありません。また後で確認してください。",
    "ghosts.quiet": "いま広がっているものはありません。",
    "ghosts.recent": "直近 {hours} 時間にアラートしたもの：",
    "ghosts.cooled": "最高 {score:.0f}/100 · {ago}前に沈静化",
    "label.score": "スコア {score:.0f}",
    "label.leader": "発端 @{leader}",
    "label.seed_post": "最初の投稿",
    "label.authors": "投稿者 {authors} 人",
    "label.sources": "ソース: {sources}",
    "label.tokens": "トークン {count} 件",
    "label.tokens_delay": "最初のローンチは発端の投稿の {delay} 後",
    "label.best_token": "最大 ${symbol}（流動性 ${liquidity:,.0f}）",
    "label.no_tokens": "トークンはまだありません",
    "narrative.title": "{label}",
    "narrative.why": "理由",
    "narrative.phrases": "フレーズ",
    "narrative.first_post": "最初の投稿",
    "narrative.top_posts": "注目の投稿",
    "narrative.tokens": "トークン",
    "narrative.chart": "「{label}」の言及数とスコア",
    "narrative.post_line": "@{author}（{source}）",
    "token.before_seed": "発端より前",
    "token.after_seed": "発端より後",
    "token.unknown_seed": "発端時刻なし",
    "token.delay": "発端の投稿の {delay} 後にローンチ",
    "token.liquidity": "流動性 ${liquidity:,.0f}",
    "reason.velocity": "通常の {ratio:.0f} 倍のペース",
    "reason.new": "これまでほぼ言及なし（予想 {expected:.1f} 件、実際 {mentions} 件）",
    "reason.reach": "{sources} ソースで {authors} 人が投稿",
    "reason.leader": "{ago}前に @{leader} が最初に発言",
    "reason.leader_no_time": "@{leader} が最初に発言",
    "reason.accelerating": "まだ加速中",
    "reason.engagement": "いいね・リポスト・返信 {engagement} 件",
    "reason.tokens": "関連トークン {count} 件",
    "watch.kind.phrase": "フレーズ",
    "watch.kind.leader": "リーダー",
    "watch.kind.token": "トークン",
    "watch.added": "{kind}「{display}」をウォッチします（{count}/{limit}）。DM でお知らせします。",
    "watch.exists": "{kind}「{display}」はすでにウォッチ中です。",
    "watch.removed": "{kind}「{display}」のウォッチをやめました。",
    "watch.title": "ウォッチリスト（{count}/{limit}）",
    "watch.empty": "ウォッチリストは空です。/watch で追加できます。",
    "alerts.on": "このチャットの通知をオンにしました（しきい値 {threshold:.0f}）。",
    "alerts.off": "このチャットの通知をオフにしました。",
    "alerts.threshold": "スコア {threshold:.0f} 以上で通知します。",
    "alerts.language": "このチャットの通知を{language}にしました。",
    "alerts.quiet_added": "「{value}」を通知から除外しました。",
    "alerts.quiet_removed": "「{value}」の除外を解除しました。",
    "alerts.status_title": "通知設定",
    "alerts.status_enabled": "通知: オン",
    "alerts.status_disabled": "通知: オフ",
    "alerts.status_not_subscribed": "通知: 未設定（/alerts on で開始）",
    "alerts.status_threshold": "しきい値: {threshold:.0f}",
    "alerts.status_language": "言語: {language}",
    "alerts.status_quiet": "除外: {values}",
    "alerts.status_reason": "停止理由: {reason}",
    "language.en": "英語",
    "language.ja": "日本語",
    "leaders.global": "追跡中のリーダー",
    "leaders.chat": "このチャットでフォロー（このチャットの /ghosts と /narrative にだけ表示）",
    "leaders.global_added": "@{handle} を全チャット共通の追跡リーダーに追加しました。",
    "leaders.global_removed": "@{handle} を全チャット共通の追跡リーダーから削除しました。",
    "label.followed": "このチャットでフォロー中: {handles}",
    "leaders.none_chat": "このチャットで追加されたリーダーはまだいません。",
    "leaders.added": "このチャットに @{handle} を追加しました。",
    "leaders.exists": "@{handle} はすでに追跡中です。",
    "leaders.removed": "このチャットから @{handle} を削除しました。",
    "status.title": "ghostwatch の状態",
    "status.source": "{name}: {state}",
    "status.source_last": "最終取得 {ago}前",
    "status.source_error": "直近のエラー: {error}",
    "status.no_sources": "ソースからの報告はまだありません。",
    "status.narratives": "追跡中のナラティブ: {count}",
    "status.last_scan": "最終スキャン: {ago}前",
    "status.never": "最終スキャン: まだ",
    "status.database_ok": "データベース: 正常",
    "status.database_down": "データベース: 接続不可",
    "status.pending": "送信待ちの通知: {count}",
    "health.ok": "正常",
    "health.degraded": "低下",
    "health.down": "停止",
    "health.disabled": "無効",
    "alert.title": "👻 新しいナラティブ: {label}",
    "alert.title_again": "👻 再燃: {label}",
    "alert.score": "スコア {score:.0f}/100",
    "alert.why": "理由",
    "alert.seed": "最初の投稿",
    "alert.details": "詳細: {command}",
    "alert.dm_reason": "{kind}「{display}」をウォッチしているためお知らせしています。",
    "button.details": "詳細",
    "button.watch": "ウォッチ",
    "callback.expired": "このボタンは期限切れです。",
    "callback.watching": "「{display}」をウォッチします。",
    # Discord only: slash command and option names (lowercase, 1-32 characters),
    # option descriptions, and replies only Discord gives
    "name.ghosts": "ゴースト",
    "name.narrative": "ナラティブ",
    "name.watch": "ウォッチ",
    "name.alerts": "通知",
    "name.leaders": "リーダー",
    "name.status": "状態",
    "name.add": "追加",
    "name.remove": "削除",
    "name.list": "一覧",
    "name.channel": "チャンネル",
    "name.threshold": "しきい値",
    "name.off": "オフ",
    "name.hours": "時間",
    "name.phrase": "フレーズ",
    "name.item": "対象",
    "name.handle": "ハンドル",
    "name.score": "スコア",
    "name.operator": "運用者",
    "name.leader_add": "リーダー追加",
    "name.leader_remove": "リーダー削除",
    "name.quiet": "除外",
    "name.unquiet": "除外解除",
    "cmd.operator": "運用者用コマンド",
    "desc.operator_add": "全サーバー・チャット共通でリーダーを追跡する",
    "desc.operator_remove": "運用者が追加したリーダーの追跡を全体でやめる",
    "desc.alerts_quiet": "このサーバーの通知から @リーダー やフレーズを除外する",
    "desc.alerts_unquiet": "除外を解除する",
    "desc.quiet_item": "@リーダー またはフレーズ",
    "desc.hours": "何時間さかのぼるか（1〜48）",
    "desc.phrase": "追跡中のナラティブまたはフレーズ",
    "desc.watch_add": "広がり始めたら DM で知らせる",
    "desc.watch_remove": "ウォッチをやめる",
    "desc.watch_list": "ウォッチリスト",
    "desc.item": "フレーズ・@リーダー・$ティッカー",
    "desc.alerts_channel": "このチャンネルに通知を投稿する",
    "desc.alerts_threshold": "このスコア以上で通知する",
    "desc.alerts_off": "このサーバーの通知を止める",
    "desc.alerts_status": "このサーバーの通知設定",
    "desc.channel": "通知を投稿するチャンネル",
    "desc.score": "スコア 0〜100",
    "desc.leaders_list": "追跡中のリーダー",
    "desc.leaders_add": "このサーバーの表示でアカウントをフォローする",
    "desc.leaders_remove": "このサーバーで追加したリーダーの追跡をやめる",
    "desc.handle": "ハンドル（例: @karpathy）または ネットワーク:ハンドル（例: reddit:spez）",
    "reply.guild_only": "サーバー内で使ってください。",
    "reply.missing_permission": "これには「サーバー管理」権限が必要です。",
    "reply.alerts_channel": "スコア {threshold:.0f} 以上の通知を {channel} に投稿します。",
    "reply.alerts_channel_none": "通知チャンネルが未設定です。/alerts channel で設定してください。",
    "reply.alerts_disabled_admin": (
        "⚠️ {channel} への通知を停止しました: {reason}。権限を直して /alerts channel を"
        "もう一度実行してください。"
    ),
    "reason.missing_access": "ボットがそのチャンネルに投稿できなくなりました",
    "reply.dm_note": (
        "通知は DM で届きます。"
        "このサーバーのプライバシー設定でメンバーからの DM を許可してください。"
    ),
    "reply.choose": "ナラティブを開く…",
    **DISCORD_USAGE,
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "ja": JA}


def negotiate(locale: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """A supported language for a platform locale such as "ja", "ja-JP", "en_US" or None."""
    if not locale:
        return default
    primary = locale.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in CATALOGS else default


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `lang` (falling back to English), formatted with `params`."""
    catalog = CATALOGS.get(lang or DEFAULT_LANGUAGE, EN)
    template = catalog.get(key)
    if template is None:
        template = EN.get(key)
        if template is None:
            log.error("missing i18n key %s", key)
            return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError) as exc:
        # A wrong parameter is a bug, but users should still see text rather than a crash.
        log.error("bad parameters for i18n key %s: %r", key, exc)
        return template


def placeholders(template: str) -> set[str]:
    """Field names a template uses (for catalog consistency checks)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
