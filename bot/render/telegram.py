"""Service results as Telegram HTML messages and inline keyboards.

The views' lines come from the view modules beside this one (`alert`, `narrative`,
`chat_settings`, `status`), already cleaned by `bot.render.clean` (no bidi/control characters,
bounded length); this module only escapes them (`html.escape`, mentions defused) and adds
Telegram's HTML markup.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.render.alert import alert_view
from bot.render.chat_settings import (
    leader_text,
    leaders_lines,
    settings_lines,
    unwatch_text,
    watch_text,
    watchlist_lines,
)
from bot.render.clean import clean, defuse_mentions, link_host, safe_url
from bot.render.errors import error_text
from bot.render.lines import SEPARATOR, Bold, Code, Italic, Line, Link, Piece, Plain, Quote
from bot.render.narrative import SummaryView, cooled_text, narrative_view, summary_view
from bot.render.status import status_view
from bot.service.errors import ServiceError
from bot.service.types import (
    AlertCard,
    GhostsResult,
    LeaderChange,
    LeaderList,
    NarrativeDetail,
    StatusReport,
    SubscriptionSettings,
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


def link(label: str, url: str | None) -> str:
    """An <a> tag for http(s) URLs; other schemes are shown as plain (escaped) label only.

    The label may be scraped, so the link's real host follows it: "karpathy on x (x.com)".
    """
    safe = safe_url(url)
    if safe is None:
        return esc(label)
    host = esc(link_host(safe))
    return f'<a href="{html.escape(safe, quote=True)}">{esc(label)}</a> ({host})'


def piece(part: Piece) -> str:
    """One piece of a line model as Telegram HTML."""
    match part:
        case Plain(text):
            return esc(text)
        case Bold(text):
            return f"<b>{esc(text)}</b>"
        case Italic(text):
            return f"<i>{esc(text)}</i>"
        case Code(text):
            return f"<code>{esc(text)}</code>"
        case Link(label, url):
            return link(label, url)
        case Quote(text):
            return f": {esc(text)}" if text else ""


def line(model: Line) -> str:
    return "".join(piece(part) for part in model.pieces)


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
    for text in lines:
        units = utf16_len(text) + 1
        if size + units > limit - 2:
            out.append("…")
            break
        out.append(text)
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
def _summary_lines(view: SummaryView, rank: int | None = None, *, state: bool = False) -> list[str]:
    head = f"{rank}. " if rank is not None else ""
    first = f"{head}<b>{esc(view.headline)}</b> — {line(view.stats)}"
    if state:
        first += f" · {esc(view.state)}"
    return [first, *("   " + line(fact) for fact in view.facts)]


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
        lines += _summary_lines(summary_view(item, lang), i)
    return join_limited(lines)


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
    view = narrative_view(detail, lang)
    lines = _summary_lines(view.summary, state=True)
    for section in view.sections:
        lines.append(f"\n<b>{esc(section.title)}</b>")
        lines += [line(entry) for entry in section.lines]
    return join_limited(lines)


def alert(card: AlertCard, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    view = alert_view(card, lang)
    lines = [f"<b>{esc(view.title)}</b>", esc(view.score)]
    if view.reasons is not None:
        lines.append(f"<b>{esc(view.reasons.title)}</b>")
        lines += [line(reason) for reason in view.reasons.lines]
    if view.seed is not None:
        lines.append(piece(view.seed))
    lines.append(line(view.tokens))
    lines.append(piece(view.details))
    if view.watch_reason is not None:
        lines.append(f"<i>{esc(view.watch_reason)}</i>")
    return join_limited(lines), keyboard(card.ref, lang)


# -- watch lists, settings, leaders, status ---------------------------------------------------
def watch(result: WatchResult, lang: str) -> str:
    return esc(watch_text(result, lang))


def unwatch(result: UnwatchResult, lang: str) -> str:
    return esc(unwatch_text(result, lang))


def watchlist(result: WatchList, lang: str) -> str:
    if not result.items:
        return esc(t("watch.empty", lang))
    title = t("watch.title", lang, count=len(result.items), limit=result.limit)
    return join_limited([f"<b>{esc(title)}</b>", *map(line, watchlist_lines(result, lang))])


def settings(result: SubscriptionSettings, lang: str) -> str:
    not_set = t("alerts.status_not_subscribed", lang)
    lines = [f"<b>{esc(t('alerts.status_title', lang))}</b>"]
    lines += map(line, settings_lines(result, lang, not_set=not_set))
    return join_limited(lines)


def alerts_changed(result: SubscriptionSettings, lang: str) -> str:
    if result.enabled:
        return esc(t("alerts.on", lang, threshold=result.threshold))
    return esc(t("alerts.off", lang))


def leaders(result: LeaderList, lang: str) -> str:
    tracked, followed = leaders_lines(result, lang)
    lines = [f"<b>{esc(t('leaders.global', lang))}</b>", *map(line, tracked)]
    lines.append(f"\n<b>{esc(followed.title)}</b>")
    lines += map(line, followed.lines)
    return join_limited(lines)


def leader_change(change: LeaderChange, added: bool, lang: str) -> str:
    key = "leaders.removed"
    if added:
        key = "leaders.added" if change.changed else "leaders.exists"
    return esc(leader_text(key, change, lang))


def status(report: StatusReport, lang: str) -> str:
    view = status_view(report, lang, datetime.now(UTC))
    lines = [f"<b>{esc(view.title)}</b>", *map(esc, view.totals)]
    if view.no_sources is not None:
        lines.append(esc(view.no_sources))
    lines += ["• " + esc(SEPARATOR.join((src.title, *src.facts))) for src in view.sources]
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
