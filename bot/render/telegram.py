"""Service results as Telegram HTML messages and inline keyboards.

Every dynamic piece goes through `bot.render.text.clean` (no bidi/control characters, no live
mentions, bounded length) and then `html.escape`; templates themselves are plain text.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.render.text import (
    LABEL_CHARS,
    POST_CHARS,
    clean,
    cooled_text,
    defuse_mentions,
    dexscreener_url,
    duration,
    error_text,
    handle,
    headline,
    link_host,
    reason_text,
    safe_url,
    tokens_text,
)
from bot.service.errors import ServiceError
from bot.service.types import (
    AlertCard,
    GhostsResult,
    LeaderChange,
    LeaderList,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    StatusReport,
    SubscriptionSettings,
    TokenInfo,
    UnwatchResult,
    WatchList,
    WatchResult,
)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
COMMANDS = (
    "start",
    "help",
    "ghosts",
    "narrative",
    "watch",
    "unwatch",
    "watchlist",
    "alerts",
    "leaders",
    "status",
)
DETAILS_PREFIX = "d:"
WATCH_PREFIX = "w:"


def esc(text: str) -> str:
    """HTML-escaped, with every "@" defused (no message of ours can mention anyone)."""
    return html.escape(defuse_mentions(text), quote=False)


def link(url: str | None, label: str) -> str:
    """An <a> tag for http(s) URLs; other schemes are shown as plain (escaped) label only.

    The label may be scraped, so the link's real host follows it: "karpathy on x (x.com)".
    """
    safe = safe_url(url)
    if safe is None:
        return esc(label)
    host = esc(link_host(safe))
    return f'<a href="{html.escape(safe, quote=True)}">{esc(label)}</a> ({host})'


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def join_limited(lines: list[str], limit: int = MESSAGE_LIMIT) -> str:
    """Whole lines up to the platform limit (never cutting inside a tag).

    Telegram's 4,096 (captions: 1,024) are UTF-16 code units; markup is counted too, which
    only errs on the safe side.
    """
    out: list[str] = []
    size = 0
    for line in lines:
        units = utf16_len(line) + 1
        if size + units > limit - 2:
            out.append("…")
            break
        out.append(line)
        size += units
    return "\n".join(out)


def callback_data(prefix: str, ref: str) -> str:
    data = f"{prefix}{ref}"
    if len(data.encode()) > 64:  # Telegram's limit; refs are row ids, so this is a bug guard
        raise ValueError("callback data over 64 bytes")
    return data


def keyboard(ref: str, lang: str) -> InlineKeyboardMarkup | None:
    if not ref:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("button.details", lang), callback_data=callback_data(DETAILS_PREFIX, ref)
                ),
                InlineKeyboardButton(
                    t("button.watch", lang), callback_data=callback_data(WATCH_PREFIX, ref)
                ),
            ]
        ]
    )


# -- narratives -------------------------------------------------------------------------------
def _summary_lines(item: NarrativeSummary, lang: str, rank: int | None = None) -> list[str]:
    head = f"{rank}. " if rank is not None else ""
    trend = t(f"trend.{item.trend}", lang)
    lines = [
        f"{head}<b>{esc(headline(item.label, item.phrases))}</b> — "
        f"{esc(t('label.score', lang, score=item.score))}"
        f" · {esc(trend)} <code>{esc(item.sparkline)}</code>"
    ]
    facts = [t("label.authors", lang, authors=item.authors)]
    if item.sources:
        facts.append(
            t("label.sources", lang, sources=", ".join(clean(s, 20) for s in item.sources))
        )
    lines.append("   " + esc(" · ".join(facts)))
    if item.leader:
        seed = t("label.leader", lang, leader=handle(item.leader))
        url = safe_url(item.seed_post_url)
        lines.append("   " + (link(url, seed) if url else esc(seed)))
    if item.tokens.count:
        lines.append("   " + esc(tokens_text(item.tokens, lang)))
    if item.followed:
        followed = ", ".join(f"@{handle(h)}" for h in item.followed)
        lines.append("   " + esc(t("label.followed", lang, handles=clean(followed, 300))))
    return lines


def ghosts(result: GhostsResult, lang: str) -> str:
    hours = max(1, round(result.window_minutes / 60))
    lines = [f"<b>{esc(t('ghosts.title', lang, hours=hours))}</b>"]
    if not result.narratives and result.recent:
        lines.append(esc(t("ghosts.quiet", lang)))
        lines.append(esc(t("ghosts.recent", lang, hours=result.recent_hours)))
        lines += [
            f"• <b>{esc(clean(item.label))}</b> — {esc(cooled_text(item, result, lang))}"
            for item in result.recent
        ]
    elif not result.narratives:
        lines.append(esc(t("ghosts.empty", lang)))
    for i, item in enumerate(result.narratives, 1):
        lines += _summary_lines(item, lang, i)
    return join_limited(lines)


def _post_line(post: PostRef, lang: str) -> str:
    who = t("narrative.post_line", lang, author=handle(post.author), source=clean(post.source, 20))
    text = clean(post.text, POST_CHARS)
    head = link(post.url, who)
    return f"• {head}: {esc(text)}" if text else f"• {head}"


def _token_line(token: TokenInfo, lang: str) -> str:
    if token.after_seed is None:
        mark = t("token.unknown_seed", lang)
    elif token.after_seed:
        mark = t("token.after_seed", lang)
        if token.delay_seconds is not None:
            mark = t("token.delay", lang, delay=duration(token.delay_seconds, lang))
    else:
        mark = t("token.before_seed", lang)
    name = f"${clean(token.symbol, 20)} {clean(token.name, 40)}".strip()
    parts = [clean(token.chain, 20), mark]
    if token.liquidity_usd is not None:
        parts.append(t("token.liquidity", lang, liquidity=token.liquidity_usd))
    url = dexscreener_url(token.chain, token.address) or token.url
    return f"• {link(url, name)} — {esc(' · '.join(parts))}"


def narrative_caption(detail: NarrativeDetail, lang: str) -> str:
    label = clean(detail.summary.label)
    return join_limited(
        [
            f"<b>{esc(label)}</b>",
            esc(t("narrative.chart", lang, label=label)),
        ],
        CAPTION_LIMIT,
    )


def narrative(detail: NarrativeDetail, lang: str) -> str:
    lines = _summary_lines(detail.summary, lang)
    state = t(f"state.{detail.summary.state}", lang)
    lines[0] += f" · {esc(state)}"
    lines.append(f"\n<b>{esc(t('narrative.why', lang))}</b>")
    lines += [f"• {esc(reason_text(r, lang))}" for r in detail.reasons]
    phrases = ", ".join(clean(p, 60) for p in detail.phrases[:10])
    lines.append(f"\n<b>{esc(t('narrative.phrases', lang))}</b>: {esc(phrases)}")
    if detail.first_post is not None:
        lines.append(f"\n<b>{esc(t('narrative.first_post', lang))}</b>")
        lines.append(_post_line(detail.first_post, lang))
    if detail.top_posts:
        lines.append(f"\n<b>{esc(t('narrative.top_posts', lang))}</b>")
        lines += [_post_line(p, lang) for p in detail.top_posts]
    if detail.tokens:
        lines.append(f"\n<b>{esc(t('narrative.tokens', lang))}</b>")
        lines += [_token_line(tok, lang) for tok in detail.tokens[:10]]
    return join_limited(lines)


def alert(card: AlertCard, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    title = "alert.title" if card.episode <= 1 else "alert.title_again"
    lines = [
        f"<b>{esc(t(title, lang, label=headline(card.label, card.phrases)))}</b>",
        esc(t("alert.score", lang, score=card.score)),
    ]
    if card.reasons:
        lines.append(f"<b>{esc(t('alert.why', lang))}</b>")
        lines += [f"• {esc(reason_text(r, lang))}" for r in card.reasons]
    if card.leader:
        seed = t("label.leader", lang, leader=handle(card.leader))
        lines.append(link(card.seed_post_url, seed))
    lines.append(esc(tokens_text(card.tokens, lang)))
    details = t("alert.details", lang, command=clean(card.details_command, LABEL_CHARS + 12))
    lines.append(link(card.details_url, details) if card.details_url else esc(details))
    if card.matched_watch is not None:
        kind = t(f"watch.kind.{card.matched_watch.kind}", lang)
        display = clean(card.matched_watch.display)
        lines.append(f"<i>{esc(t('alert.dm_reason', lang, kind=kind, display=display))}</i>")
    return join_limited(lines), keyboard(card.ref, lang)


# -- watch lists, settings, leaders, status ---------------------------------------------------
def watch(result: WatchResult, lang: str) -> str:
    kind = t(f"watch.kind.{result.entry.kind}", lang)
    display = clean(result.entry.display)
    if not result.added:
        return esc(t("watch.exists", lang, kind=kind, display=display))
    return esc(
        t(
            "watch.added",
            lang,
            kind=kind,
            display=display,
            count=result.count,
            limit=result.limit,
        )
    )


def unwatch(result: UnwatchResult, lang: str) -> str:
    kind = t(f"watch.kind.{result.entry.kind}", lang)
    return esc(t("watch.removed", lang, kind=kind, display=clean(result.entry.display)))


def watchlist(result: WatchList, lang: str) -> str:
    if not result.items:
        return esc(t("watch.empty", lang))
    title = t("watch.title", lang, count=len(result.items), limit=result.limit)
    lines = [f"<b>{esc(title)}</b>"]
    for item in result.items:
        kind = t(f"watch.kind.{item.kind}", lang)
        lines.append(f"• {esc(clean(item.display))} <i>({esc(kind)})</i>")
    return join_limited(lines)


def settings(result: SubscriptionSettings, lang: str) -> str:
    lines = [f"<b>{esc(t('alerts.status_title', lang))}</b>"]
    if not result.subscribed:
        lines.append(esc(t("alerts.status_not_subscribed", lang)))
    else:
        state = "alerts.status_enabled" if result.enabled else "alerts.status_disabled"
        lines.append(esc(t(state, lang)))
    lines.append(esc(t("alerts.status_threshold", lang, threshold=result.threshold)))
    language = t(f"language.{result.language}", lang)
    lines.append(esc(t("alerts.status_language", lang, language=language)))
    quiet = [f"@{q}" for q in result.quiet_leaders] + list(result.quiet_phrases)
    if quiet:
        values = ", ".join(clean(q, 60) for q in quiet)
        lines.append(esc(t("alerts.status_quiet", lang, values=values)))
    if result.disabled_reason:
        reason = clean(result.disabled_reason, 120)
        lines.append(esc(t("alerts.status_reason", lang, reason=reason)))
    return join_limited(lines)


def alerts_changed(result: SubscriptionSettings, lang: str) -> str:
    if result.enabled:
        return esc(t("alerts.on", lang, threshold=result.threshold))
    return esc(t("alerts.off", lang))


def leaders(result: LeaderList, lang: str) -> str:
    names = ", ".join(f"@{handle(r.handle)}" for r in result.global_leaders)
    lines = [f"<b>{esc(t('leaders.global', lang))}</b>", esc(clean(names, 3000))]
    lines.append(f"\n<b>{esc(t('leaders.chat', lang))}</b>")
    if result.chat_leaders:
        chat = ", ".join(f"@{handle(r.handle)}" for r in result.chat_leaders)
        lines.append(esc(clean(chat, 1000)))
    else:
        lines.append(esc(t("leaders.none_chat", lang)))
    return join_limited(lines)


def leader_change(change: LeaderChange, added: bool, lang: str) -> str:
    name = handle(change.handle)
    key = "leaders.removed"
    if added:
        key = "leaders.added" if change.changed else "leaders.exists"
    return esc(clean(t(key, lang, handle=name), 200))


def status(report: StatusReport, lang: str) -> str:
    now = datetime.now(UTC)
    lines = [f"<b>{esc(t('status.title', lang))}</b>"]
    if not report.sources:
        lines.append(esc(t("status.no_sources", lang)))
    for source in report.sources:
        state = t(f"health.{source.state}", lang)
        parts = [t("status.source", lang, name=clean(source.name, 60), state=state)]
        if source.last_success is not None:
            ago = duration((now - source.last_success).total_seconds(), lang)
            parts.append(t("status.source_last", lang, ago=ago))
        if source.last_error and source.state != "ok":
            parts.append(t("status.source_error", lang, error=clean(source.last_error, 150)))
        lines.append("• " + esc(" · ".join(parts)))
    lines.append(esc(t("status.narratives", lang, count=report.narratives_tracked)))
    if report.last_scan is not None:
        scan_now = report.now or now
        ago = duration((scan_now - report.last_scan).total_seconds(), lang)
        lines.append(esc(t("status.last_scan", lang, ago=ago)))
    else:
        lines.append(esc(t("status.never", lang)))
    db_key = "status.database_ok" if report.database_ok else "status.database_down"
    lines.append(esc(t(db_key, lang)))
    lines.append(esc(t("status.pending", lang, count=report.alerts_pending)))
    return join_limited(lines)


def help_text(lang: str) -> str:
    lines = [f"<b>{esc(t('help.title', lang))}</b>"]
    for command in COMMANDS:
        lines.append(f"{esc(t(f'usage.{command}', lang))} — {esc(t(f'cmd.{command}', lang))}")
    lines.append("")
    lines.append(esc(t("help.footer", lang)))
    return "\n".join(lines)


def error(err: ServiceError, lang: str) -> str:
    return esc(error_text(err, lang))


def plain(key: str, lang: str) -> str:
    return esc(t(key, lang))
