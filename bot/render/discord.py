"""Discord embeds from the service's plain data.

Every scraped or user-typed string passes through `esc()` (markdown escaped, mentions defused)
and every embed part is cut to Discord's documented limits, so an alert can neither ping nor be
rejected for its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import discord

from bot.discord.translator import text
from bot.i18n import t
from bot.render import text as plain_text
from bot.render.text import clean, cooled_text, duration, handle, headline, link_host
from bot.service.types import (
    AlertCard,
    GhostsResult,
    LeaderEntry,
    LeaderList,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    Reason,
    StatusReport,
    SubscriptionSettings,
    TokenInfo,
    TokenSummary,
    WatchList,
)

# Documented embed limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
SELECT_LABEL_MAX = 100
LABEL_MAX = 200  # a narrative label inside a title or field name

CHART_FILENAME = "chart.png"

STATE_COLOURS = {
    "quiet": 0x95A5A6,
    "emerging": 0xF1C40F,
    "viral": 0xE74C3C,
    "cooling": 0x3498DB,
    "dormant": 0x7F8C8D,
}
HEALTH_ICONS = {"ok": "🟢", "degraded": "🟡", "down": "🔴", "disabled": "⚪"}


def esc(value: object) -> str:
    """Text made inert for Discord: no markdown, no @everyone/@here/user/role mentions.

    Scraped strings should first pass `bot.render.text.clean` (bidi/control characters, length).
    """
    return discord.utils.escape_mentions(discord.utils.escape_markdown(str(value)))


def clip(value: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis, never inside a trailing escape."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    while cut.endswith("\\"):  # a dangling backslash would escape the ellipsis
        cut = cut[:-1]
    return cut + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot end a markdown link early, or None."""
    checked = plain_text.safe_url(url)
    if checked is None:
        return None
    return checked.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def link(label: str, url: str | None) -> str:
    """A masked link with an escaped label (plain text in), or the escaped label alone.

    The label may be scraped, so the link's real host follows it: "[karpathy on x](…) (x.com)".
    """
    target = safe_url(url)
    shown = esc(label).replace("]", "\\]")
    if not target:
        return shown
    return f"[{shown}]({target}) ({esc(link_host(url))})"


def code(value: str) -> str:
    """Inline code span (sparklines); backticks cannot occur in it."""
    cleaned = value.replace("`", "ˋ")
    return f"`{cleaned}`" if cleaned else ""


def ago(when: datetime, lang: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return duration((now - when).total_seconds(), lang)


def reason_text(reason: Reason, lang: str) -> str:
    return esc(plain_text.reason_text(reason, lang))


def tokens_text(tokens: TokenSummary, lang: str) -> str:
    line = esc(plain_text.tokens_text(tokens, lang))
    best = tokens.best
    if best is not None and safe_url(best.url):
        line += " · " + link(f"${clean(best.symbol, 20)}", best.url)
    return line


class EmbedBuilder:
    """Adds parts to an embed while keeping the 6,000-character total and 25-field limits."""

    def __init__(self, title: str, *, colour: int | None = None, url: str | None = None):
        self.embed = discord.Embed(
            title=clip(title, TITLE_MAX), colour=colour, url=safe_url(url) if url else None
        )
        self.used = len(self.embed.title or "")

    def describe(self, lines: Iterable[str]) -> EmbedBuilder:
        body = clip("\n".join(line for line in lines if line), DESCRIPTION_MAX)
        body = clip(body, max(0, EMBED_TOTAL_MAX - self.used - 200))
        self.embed.description = body or None
        self.used += len(body)
        return self

    def field(self, name: str, value: str, *, inline: bool = False) -> EmbedBuilder:
        if len(self.embed.fields) >= FIELDS_MAX or not value:
            return self
        name = clip(name, FIELD_NAME_MAX)
        room = EMBED_TOTAL_MAX - self.used - len(name) - 100  # keep room for a footer
        if room < 20:
            return self
        value = clip(value, min(FIELD_VALUE_MAX, room))
        self.embed.add_field(name=name, value=value, inline=inline)
        self.used += len(name) + len(value)
        return self

    def footer(self, value: str) -> discord.Embed:
        room = min(FOOTER_MAX, EMBED_TOTAL_MAX - self.used)
        if value and room > 0:
            self.embed.set_footer(text=clip(value, room))
        return self.embed

    def done(self) -> discord.Embed:
        return self.embed


# ---- alerts ---------------------------------------------------------------------------------


def alert_embed(card: AlertCard, lang: str) -> discord.Embed:
    title_key = "alert.title_again" if card.episode > 1 else "alert.title"
    label = headline(card.label, card.phrases, LABEL_MAX, defuse=False)
    title = esc(t(title_key, lang, label=label))
    builder = EmbedBuilder(title, colour=STATE_COLOURS.get(card.state), url=card.details_url)
    lines = [f"**{t('alert.score', lang, score=card.score)}**"]
    if card.matched_watch is not None:
        watch = card.matched_watch
        kind = t(f"watch.kind.{watch.kind}", lang)
        display = clean(watch.display, defuse=False)
        lines.append(esc(t("alert.dm_reason", lang, kind=kind, display=display)))
    builder.describe(lines)
    if card.reasons:
        builder.field(
            t("alert.why", lang), "\n".join(f"• {reason_text(r, lang)}" for r in card.reasons)
        )
    if card.leader:
        leader_line = esc(t("label.leader", lang, leader=handle(card.leader)))
        if card.seed_post_url:
            leader_line += " · " + link(t("label.seed_post", lang), card.seed_post_url)
        builder.field(t("alert.seed", lang), leader_line, inline=True)
    elif card.seed_post_url:
        builder.field(t("alert.seed", lang), link(t("label.seed_post", lang), card.seed_post_url))
    builder.field(t("narrative.tokens", lang), tokens_text(card.tokens, lang), inline=True)
    return builder.footer(t("alert.details", lang, command=clean(card.details_command, 120)))


# ---- /ghosts --------------------------------------------------------------------------------


def summary_line(item: NarrativeSummary, lang: str) -> str:
    bits = [
        t("label.score", lang, score=item.score),
        t(f"trend.{item.trend}", lang),
        t("label.authors", lang, authors=item.authors),
    ]
    line = " · ".join(bits)
    if item.sparkline:
        line = f"{code(item.sparkline)} {line}"
    extra = []
    if item.leader:
        leader = t("label.leader", lang, leader=handle(item.leader))  # link() escapes it
        extra.append(link(leader, item.seed_post_url))
    if item.followed:
        followed = ", ".join(f"@{handle(h)}" for h in item.followed)
        extra.append(esc(t("label.followed", lang, handles=clean(followed, 300, defuse=False))))
    if item.tokens.count:
        extra.append(tokens_text(item.tokens, lang))
    if item.sources:
        sources = clean(", ".join(item.sources), 200)
        extra.append(esc(t("label.sources", lang, sources=sources)))
    return "\n".join([line, *extra])


def ghosts_embed(result: GhostsResult, lang: str) -> discord.Embed:
    hours = max(1, round(result.window_minutes / 60))
    builder = EmbedBuilder(t("ghosts.title", lang, hours=hours), colour=STATE_COLOURS["emerging"])
    if not result.narratives and result.recent:
        builder.describe(
            [
                esc(t("ghosts.quiet", lang)),
                esc(t("ghosts.recent", lang, hours=result.recent_hours)),
            ]
        )
        for cooled in result.recent:
            label = esc(clean(cooled.label, LABEL_MAX, defuse=False))
            builder.field(label, esc(cooled_text(cooled, result, lang)))
        builder.embed.timestamp = result.generated_at
        return builder.done()
    if not result.narratives:
        builder.describe([t("ghosts.empty", lang)])
        return builder.done()
    for rank, item in enumerate(result.narratives, start=1):
        state = t(f"state.{item.state}", lang)
        label = esc(headline(item.label, item.phrases, LABEL_MAX, defuse=False))
        builder.field(f"{rank}. {label} ({state})", summary_line(item, lang))
    builder.embed.timestamp = result.generated_at
    return builder.done()


def select_label(item: NarrativeSummary) -> str:
    """Select-menu labels are plain text (not markdown); only their length matters."""
    return clean(item.label, SELECT_LABEL_MAX) or item.key[:SELECT_LABEL_MAX]


# ---- /narrative -----------------------------------------------------------------------------


def post_text(post: PostRef, lang: str, limit: int = 300) -> str:
    author, source = clean(post.author, 60, defuse=False), clean(post.source, 30)
    who = t("narrative.post_line", lang, author=author, source=source)
    head = link(who, post.url) if safe_url(post.url) else esc(who)
    body = esc(clean(post.text, limit, defuse=False))
    return f"{head}\n> {body}" if body else head


def token_line(token: TokenInfo, lang: str) -> str:
    name = f"${clean(token.symbol, 20)} {clean(token.name, 60)}".strip()
    url = plain_text.dexscreener_url(token.chain, token.address) or token.url
    parts = [link(name, url), esc(clean(token.chain, 30))]
    if token.after_seed is True and token.delay_seconds is not None:
        parts.append(t("token.delay", lang, delay=duration(token.delay_seconds, lang)))
    elif token.after_seed is True:
        parts.append(t("token.after_seed", lang))
    elif token.after_seed is False:
        parts.append("⚠️ " + t("token.before_seed", lang))
    else:
        parts.append(t("token.unknown_seed", lang))
    if token.liquidity_usd is not None:
        parts.append(t("token.liquidity", lang, liquidity=token.liquidity_usd))
    return " · ".join(parts)


def narrative_embed(detail: NarrativeDetail, lang: str) -> discord.Embed:
    item = detail.summary
    label = headline(item.label, item.phrases, LABEL_MAX, defuse=False)
    title = esc(t("narrative.title", lang, label=label))
    builder = EmbedBuilder(title, colour=STATE_COLOURS.get(item.state))
    builder.describe([summary_line(item, lang)])
    if detail.reasons:
        builder.field(
            t("narrative.why", lang), "\n".join(f"• {reason_text(r, lang)}" for r in detail.reasons)
        )
    if detail.phrases:
        phrases = ", ".join(clean(p, 100, defuse=False) for p in detail.phrases[:30])
        builder.field(t("narrative.phrases", lang), esc(phrases))
    if detail.first_post is not None:
        builder.field(t("narrative.first_post", lang), post_text(detail.first_post, lang))
    if detail.top_posts:
        per_post = max(80, FIELD_VALUE_MAX // len(detail.top_posts[:3]) - 120)
        builder.field(
            t("narrative.top_posts", lang),
            "\n".join(post_text(p, lang, per_post) for p in detail.top_posts[:3]),
        )
    if detail.tokens:
        builder.field(
            t("narrative.tokens", lang), "\n".join(token_line(tk, lang) for tk in detail.tokens[:8])
        )
    if detail.chart_png is not None:
        builder.embed.set_image(url=f"attachment://{CHART_FILENAME}")
    builder.embed.timestamp = item.updated_at
    return builder.done()


# ---- watch list, alerts settings, leaders, status -------------------------------------------


def watch_list_embed(watch: WatchList, lang: str) -> discord.Embed:
    builder = EmbedBuilder(t("watch.title", lang, count=len(watch.items), limit=watch.limit))
    if not watch.items:
        return builder.describe([t("watch.empty", lang)]).done()
    lines = [
        f"• {t(f'watch.kind.{w.kind}', lang)}: {esc(clean(w.display, 100, defuse=False))}"
        for w in watch.items
    ]
    return builder.describe(lines).done()


def subscription_embed(
    sub: SubscriptionSettings | None, lang: str, channel_mention: str | None
) -> discord.Embed:
    builder = EmbedBuilder(t("alerts.status_title", lang))
    if sub is None or not sub.subscribed:
        return builder.describe([text("reply.alerts_channel_none", lang)]).done()
    state = t("alerts.status_enabled" if sub.enabled else "alerts.status_disabled", lang)
    lines = [
        state + (f" · {channel_mention}" if channel_mention else ""),
        t("alerts.status_threshold", lang, threshold=sub.threshold),
        t("alerts.status_language", lang, language=t(f"language.{sub.language}", lang)),
    ]
    if sub.quiet_leaders or sub.quiet_phrases:
        quiet = [*(f"@{h}" for h in sub.quiet_leaders), *sub.quiet_phrases]
        values = clean(", ".join(quiet), 500, defuse=False)
        lines.append(esc(t("alerts.status_quiet", lang, values=values)))
    if sub.disabled_reason:
        lines.append(
            esc(t("alerts.status_reason", lang, reason=disabled_reason(sub.disabled_reason, lang)))
        )
    return builder.describe(lines).done()


def disabled_reason(reason: str, lang: str) -> str:
    """Known delivery failures in the user's language; others as recorded."""
    if "50013" in reason or "50001" in reason or reason.startswith("forbidden"):
        return text("reason.missing_access", lang)
    return clean(reason, 200, defuse=False)


def leaders_embed(leaders: LeaderList, lang: str) -> discord.Embed:
    builder = EmbedBuilder(t("leaders.global", lang))

    def line(entry: LeaderEntry) -> str:
        shown = esc(handle(entry.handle))
        name = clean(entry.name, 80, defuse=False)
        return f"• @{shown}" + (f" — {esc(name)}" if name and name != entry.handle else "")

    builder.describe([line(e) for e in leaders.global_leaders])
    chat = "\n".join(line(e) for e in leaders.chat_leaders) or t("leaders.none_chat", lang)
    builder.field(t("leaders.chat", lang), chat)
    return builder.done()


def status_embed(report: StatusReport, lang: str) -> discord.Embed:
    builder = EmbedBuilder(t("status.title", lang))
    lines = [t("status.narratives", lang, count=report.narratives_tracked)]
    if report.last_scan is not None:
        lines.append(t("status.last_scan", lang, ago=ago(report.last_scan, lang, report.now)))
    else:
        lines.append(t("status.never", lang))
    lines.append(t("status.database_ok" if report.database_ok else "status.database_down", lang))
    lines.append(t("status.pending", lang, count=report.alerts_pending))
    if report.by_state:
        lines.append(
            " · ".join(f"{t(f'state.{s}', lang)} {n}" for s, n in sorted(report.by_state.items()))
        )
    builder.describe(lines)
    if not report.sources:
        builder.field(t("status.source", lang, name="—", state="—"), t("status.no_sources", lang))
    for source in report.sources:
        parts = []
        if source.last_success is not None:
            parts.append(t("status.source_last", lang, ago=ago(source.last_success, lang)))
        if source.last_error:
            error = clean(source.last_error, 200, defuse=False)
            parts.append(esc(t("status.source_error", lang, error=error)))
        name = f"{HEALTH_ICONS.get(source.state, '')} " + t(
            "status.source", lang, name=source.name, state=t(f"health.{source.state}", lang)
        )
        builder.field(name, "\n".join(parts) or "—", inline=True)
    return builder.done()


def plain(message: str) -> str:
    """A reply text that may hold user input: escaped and cut to the message limit."""
    return clip(esc(message), CONTENT_MAX)
