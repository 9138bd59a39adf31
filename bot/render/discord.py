"""Discord embeds from the platform-neutral views (`bot.render.alert`, `narrative`, `status`, ...).

Which lines, in which order, is decided there; this module escapes every piece with `esc()`
(markdown escaped, mentions defused), adds markdown, places lines in embed parts and cuts each
part to Discord's documented limits, so an alert can neither ping nor be rejected for its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import discord

from bot.i18n import t
from bot.render.alert import alert_view
from bot.render.chat_settings import leaders_lines, settings_lines, watchlist_lines
from bot.render.clean import LABEL_CHARS, clean, defuse_mentions, link_host
from bot.render.clean import safe_url as plain_safe_url
from bot.render.facts import POST_CHARS
from bot.render.lines import Bold, Code, Italic, Line, Link, Piece, Plain, Quote, Section
from bot.render.narrative import TOP_POSTS, SummaryView, cooled_text, narrative_view, summary_view
from bot.render.status import status_view
from bot.service.types import (
    AlertCard,
    GhostsResult,
    LeaderList,
    NarrativeDetail,
    NarrativeSummary,
    StatusReport,
    SubscriptionSettings,
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

CHART_FILENAME = "chart.png"

STATE_COLOURS = {
    "quiet": 0x95A5A6,
    "emerging": 0xF1C40F,
    "viral": 0xE74C3C,
    "cooling": 0x3498DB,
    "dormant": 0x7F8C8D,
}


def esc(value: object) -> str:
    """Text made inert for Discord: no markdown, no @everyone/@here/user/role mentions.

    Scraped strings should first pass `bot.render.clean.clean` (bidi/control characters, length).
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
    checked = plain_safe_url(url)
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


def piece(part: Piece) -> str:
    """One piece of a line model as Discord markdown."""
    match part:
        case Plain(text):
            return esc(text)
        case Bold(text):
            return f"**{esc(text)}**"
        case Italic(text):
            return f"*{esc(text)}*"
        case Code(text):
            return code(text)
        case Link(label, url):
            return link(label, url)
        case Quote(text):
            return f"\n> {esc(text)}" if text else ""


def line(model: Line) -> str:
    return "".join(piece(part) for part in model.pieces)


def lines(models: Iterable[Line]) -> str:
    return "\n".join(line(model) for model in models)


class EmbedBuilder:
    """Adds parts to an embed while keeping the 6,000-character total and 25-field limits."""

    def __init__(self, title: str, *, colour: int | None = None, url: str | None = None):
        self.embed = discord.Embed(
            title=clip(title, TITLE_MAX), colour=colour, url=safe_url(url) if url else None
        )
        self.used = len(self.embed.title or "")

    def describe(self, lines: Iterable[str]) -> EmbedBuilder:
        body = clip("\n".join(text for text in lines if text), DESCRIPTION_MAX)
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
    view = alert_view(card, lang)
    colour = STATE_COLOURS.get(card.state)
    builder = EmbedBuilder(esc(view.title), colour=colour, url=view.details.url)
    description = [f"**{esc(view.score)}**"]
    if view.watch_reason is not None:
        description.append(esc(view.watch_reason))
    builder.describe(description)
    section(builder, view.reasons)
    if view.seed is not None:
        builder.field(esc(t("alert.seed", lang)), piece(view.seed), inline=True)
    builder.field(esc(t("narrative.tokens", lang)), line(view.tokens), inline=True)
    # Footers are not markdown: only mentions need defusing there.
    return builder.footer(defuse_mentions(view.details.label))


def section(builder: EmbedBuilder, model: Section | None) -> None:
    """A titled group of lines as one embed field."""
    if model is not None:
        builder.field(esc(model.title), lines(model.lines))


# ---- /ghosts --------------------------------------------------------------------------------


def summary_text(view: SummaryView) -> str:
    return lines((view.stats, *view.facts))


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
            label = esc(clean(cooled.label, LABEL_CHARS, defuse=False))
            builder.field(label, esc(cooled_text(cooled, result, lang)))
        builder.embed.timestamp = result.generated_at
        return builder.done()
    if not result.narratives:
        builder.describe([t("ghosts.empty", lang)])
        return builder.done()
    for rank, item in enumerate(result.narratives, start=1):
        view = summary_view(item, lang)
        builder.field(f"{rank}. {esc(view.headline)} ({esc(view.state)})", summary_text(view))
    builder.embed.timestamp = result.generated_at
    return builder.done()


def select_label(item: NarrativeSummary) -> str:
    """Select-menu labels are plain text (not markdown); only their length matters."""
    return clean(item.label, SELECT_LABEL_MAX) or item.key[:SELECT_LABEL_MAX]


# ---- /narrative -----------------------------------------------------------------------------


def narrative_embed(detail: NarrativeDetail, lang: str) -> discord.Embed:
    # The top posts share one field: cut each post's text so all of them fit in it.
    shown = max(1, min(len(detail.top_posts), TOP_POSTS))
    post_chars = min(POST_CHARS, max(80, FIELD_VALUE_MAX // shown - 120))
    view = narrative_view(detail, lang, post_chars)
    item = detail.summary
    title = esc(t("narrative.title", lang, label=view.summary.headline))
    builder = EmbedBuilder(title, colour=STATE_COLOURS.get(item.state))
    builder.describe([summary_text(view.summary)])
    for model in view.sections:
        section(builder, model)
    if detail.chart_png is not None:
        builder.embed.set_image(url=f"attachment://{CHART_FILENAME}")
    builder.embed.timestamp = item.updated_at
    return builder.done()


# ---- watch list, alerts settings, leaders, status -------------------------------------------


def watch_list_embed(watch: WatchList, lang: str) -> discord.Embed:
    builder = EmbedBuilder(t("watch.title", lang, count=len(watch.items), limit=watch.limit))
    if not watch.items:
        return builder.describe([t("watch.empty", lang)]).done()
    return builder.describe(map(line, watchlist_lines(watch, lang))).done()


def subscription_embed(
    sub: SubscriptionSettings | None, lang: str, channel_mention: str | None
) -> discord.Embed:
    builder = EmbedBuilder(t("alerts.status_title", lang))
    not_set = t("reply.alerts_channel_none", lang)
    if sub is None:
        return builder.describe([esc(not_set)]).done()
    shown = [line(entry) for entry in settings_lines(sub, lang, not_set=not_set)]
    if sub.subscribed and channel_mention:
        shown[0] += f" · {channel_mention}"  # a channel mention is markup: not escaped
    return builder.describe(shown).done()


def leaders_embed(leaders: LeaderList, lang: str) -> discord.Embed:
    tracked, followed = leaders_lines(leaders, lang)
    builder = EmbedBuilder(t("leaders.global", lang))
    builder.describe(map(line, tracked))
    section(builder, followed)
    return builder.done()


def status_embed(report: StatusReport, lang: str) -> discord.Embed:
    view = status_view(report, lang, datetime.now(UTC))
    builder = EmbedBuilder(view.title)
    builder.describe(map(esc, view.totals))
    if view.no_sources is not None:
        builder.field(t("status.source", lang, name="—", state="—"), esc(view.no_sources))
    for source in view.sources:
        builder.field(esc(source.title), "\n".join(map(esc, source.facts)) or "—", inline=True)
    return builder.done()


def plain(message: str) -> str:
    """A reply text that may hold user input: escaped and cut to the message limit."""
    return clip(esc(message), CONTENT_MAX)
