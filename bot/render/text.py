"""Platform-neutral text: sanitizing scraped text, durations, and the line models of every view.

Which lines a view shows, in which order, with which numbers and cut to which length is decided
here, once. Everything returned is plain, unescaped text inside typed pieces (`Line`, `Link`,
`Section`, ...); `bot.render.telegram` and `bot.render.discord` only escape it and add markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from bot.i18n import EN, t
from bot.service.errors import BadArgument, ServiceError
from bot.service.inputs import BIDI_CONTROLS
from bot.service.types import (
    AlertCard,
    CooledNarrative,
    GhostsResult,
    LeaderChange,
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
    UnwatchResult,
    WatchList,
    WatchResult,
)

WORD_JOINER = "\u2060"
ELLIPSIS = "…"
LABEL_CHARS = 80
POST_CHARS = 280
TOP_POSTS = 3  # posts under "Top posts" in a breakdown
TOKEN_LINES = 8  # launches under "Tokens" in a breakdown
PHRASES = 10  # joined phrases under "Phrases", each cut to PHRASE_CHARS
PHRASE_CHARS = 60


_LIVE_AT = re.compile("@(?!" + WORD_JOINER + ")")


def defuse_mentions(text: str) -> str:
    """A word joiner after every "@" (idempotent): "@name"/"@everyone" can never ping."""
    return _LIVE_AT.sub("@" + WORD_JOINER, text)


def clean(text: str | None, limit: int = LABEL_CHARS, *, defuse: bool = True) -> str:
    """Scraped text made safe to show: one line, no control/bidi characters, no live mentions.

    A word joiner after "@" keeps platforms from turning "@name"/"@everyone" into a mention.
    """
    if not text:
        return ""
    chars = []
    for ch in text:
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or (category == "Cf" and ch != "\u200d"):
            chars.append(" ")  # newlines, tabs and other controls become spaces
            continue
        chars.append(ch)
    value = " ".join("".join(chars).split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + ELLIPSIS if limit > 1 else value[:limit]
    return defuse_mentions(value) if defuse else value


def safe_url(url: str | None) -> str | None:
    """The URL when it is a plain http(s) link, else None (no javascript:, data:, tg: ...)."""
    if not url or len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def link_host(url: str | None) -> str:
    """The host a link really goes to, shown next to a masked link's (scraped) label.

    Non-ASCII hosts are shown in their ASCII (punycode) form, so a look-alike domain cannot
    pass for the real one.
    """
    safe = safe_url(url)
    host = urlsplit(safe).hostname if safe else None
    if not host:
        return ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = host.encode("ascii", "backslashreplace").decode("ascii")
    return host.removeprefix("www.")


def duration(seconds: int | float, lang: str) -> str:
    secs = max(0, int(seconds))
    if secs < 60:
        return t("time.seconds", lang, n=secs)
    if secs < 3600:
        return t("time.minutes", lang, n=secs // 60)
    if secs < 86400 * 2:
        hours = secs / 3600
        return t("time.hours", lang, n=f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}")
    return t("time.days", lang, n=secs // 86400)


# Scripts that read as one language family for "is this the same story in another language?"
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK", "CJK": "CJK"}
# DexScreener's chain ids where a source names the chain differently (GeckoTerminal's "eth").
_DEXSCREENER_CHAINS = {"eth": "ethereum", "bsc": "bsc", "polygon_pos": "polygon"}


def scripts(text: str) -> frozenset[str]:
    """The writing systems of a text's letters: {"LATIN"}, {"CJK"}, {"CYRILLIC"}, …"""
    found = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            first = name.split(" ", 1)[0]
            found.add(_SCRIPT_GROUPS.get(first, first))
    return frozenset(found)


def other_script_form(label: str, phrases: tuple[str, ...] | list[str]) -> str | None:
    """The longest joined form written in a script the label does not use, if any.

    When the engine joins "vibe coding" and "バイブコーディング" into one narrative, the
    headline shows both, so readers of either language recognise the story.
    """
    own = scripts(label)
    others = [p for p in phrases if p and (found := scripts(p)) and not (found & own)]
    return max(others, key=len) if others else None


def headline(
    label: str,
    phrases: tuple[str, ...] | list[str],
    limit: int = LABEL_CHARS,
    *,
    defuse: bool = True,
) -> str:
    """ "vibe coding · バイブコーディング": the label and its other-language form (unescaped)."""
    other = other_script_form(label, phrases)
    text = clean(label, limit, defuse=defuse)
    return f"{text} · {clean(other, limit, defuse=defuse)}" if other else text


def dexscreener_url(chain: str, address: str) -> str | None:
    """The token's DexScreener page, whichever source reported it."""
    chain_id = _DEXSCREENER_CHAINS.get(chain.lower(), chain.lower())
    if not chain_id.replace("_", "").isalnum() or not address.isalnum():
        return None
    return f"https://dexscreener.com/{chain_id}/{address}"


def cooled_text(item: CooledNarrative, result: GhostsResult, lang: str) -> str:
    """ "peak 83/100 · cooled 40 min ago" for a narrative that alerted and went quiet."""
    ago = duration((result.generated_at - item.cooled_at).total_seconds(), lang)
    return t("ghosts.cooled", lang, score=item.peak_score, ago=ago)


def reason_text(reason: Reason, lang: str) -> str:
    """A reason sentence; `*_seconds` parameters become localized durations (`ago_seconds` →
    `{ago}`), text parameters are cleaned."""
    params: dict[str, object] = {}
    for name, value in reason.params.items():
        if name.endswith("_seconds") and isinstance(value, int | float):
            params[name.removesuffix("_seconds")] = duration(value, lang)
        elif isinstance(value, str):
            params[name] = clean(value, LABEL_CHARS, defuse=False)
        else:
            params[name] = value
    return t(reason.key, lang, **params)


def handle(name: str | None) -> str:
    """A leader handle for display, without "@" (templates add it)."""
    return clean(name, 60, defuse=False).lstrip("@")


def tokens_text(tokens: TokenSummary, lang: str) -> str:
    if tokens.count == 0:
        return t("label.no_tokens", lang)
    parts = [t("label.tokens", lang, count=tokens.count)]
    if tokens.first_delay_seconds is not None:
        delay = duration(tokens.first_delay_seconds, lang)
        parts.append(t("label.tokens_delay", lang, delay=delay))
    best = tokens.best
    if best is not None and best.liquidity_usd is not None:
        symbol = clean(best.symbol, 20)
        parts.append(t("label.best_token", lang, symbol=symbol, liquidity=best.liquidity_usd))
    return ", ".join(parts)


class Syntax(StrEnum):
    """Whose command syntax a usage line shows: the catalog prefix of its usage keys."""

    TELEGRAM = "usage."
    DISCORD = "usage.discord."


def usage_line(command: str, lang: str, syntax: Syntax = Syntax.TELEGRAM) -> str:
    """ "Usage: /watch …" for a command (a command without a usage key shows as "/name")."""
    key = f"{syntax}{command}"
    shown = t(key, lang) if key in EN else f"/{command}"
    return t("error.bad_argument", lang, usage=shown)


def error_text(error: ServiceError, lang: str, syntax: Syntax = Syntax.TELEGRAM) -> str:
    """What to tell the user about a ServiceError (bad arguments get the usage line).

    Its parameters often hold what the user typed, so they are cleaned like scraped text.
    """
    if isinstance(error, BadArgument):
        usage = usage_line(error.usage, lang, syntax)
        if error.detail_key:
            return f"{t(error.detail_key, lang)}\n{usage}"
        return usage
    params = {k: clean(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return t(error.key, lang, **params)


def alert_text(card: AlertCard, lang: str) -> str:
    """The alert as plain text (console, logs, fallbacks)."""
    title = "alert.title" if card.episode <= 1 else "alert.title_again"
    label = headline(card.label, card.phrases)
    lines = [t(title, lang, label=label), t("alert.score", lang, score=card.score)]
    lines += [f"• {reason_text(r, lang)}" for r in card.reasons]
    if card.leader:
        lines.append(t("label.leader", lang, leader=handle(card.leader)))
    url = safe_url(card.seed_post_url)
    if url:
        lines.append(f"{t('alert.seed', lang)}: {url}")
    lines.append(tokens_text(card.tokens, lang))
    lines.append(t("alert.details", lang, command=clean(card.details_command, 120)))
    if card.matched_watch is not None:
        kind = t(f"watch.kind.{card.matched_watch.kind}", lang)
        display = clean(card.matched_watch.display)
        lines.append(t("alert.dm_reason", lang, kind=kind, display=display))
    return "\n".join(lines)


# ---- line models ----------------------------------------------------------------------------
# A line is a tuple of pieces; each piece holds plain text the platform escapes and marks up.


@dataclass(frozen=True, slots=True)
class Plain:
    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    text: str


@dataclass(frozen=True, slots=True)
class Italic:
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link shown with its real host; only a plain http(s) `url` is linked, else the label."""

    label: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted scraped text that ends the line (a post's body)."""

    text: str


Piece = Plain | Bold | Italic | Code | Link | Quote


@dataclass(frozen=True, slots=True)
class Line:
    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, *pieces: Piece | str) -> Line:
        """A line from pieces; a bare string is plain text."""
        return cls(tuple(Plain(p) if isinstance(p, str) else p for p in pieces))

    def plain(self) -> str:
        """The line's text without markup (a link shows its label)."""
        out = []
        for piece in self.pieces:
            if isinstance(piece, Link):
                out.append(piece.label)
            elif isinstance(piece, Quote):
                out.append(f": {piece.text}" if piece.text else "")
            else:
                out.append(piece.text)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of lines: a bold heading on Telegram, an embed field on Discord."""

    title: str
    lines: tuple[Line, ...]


BULLET = "• "
SEPARATOR = " · "


def bullet(*pieces: Piece | str) -> Line:
    return Line.of(BULLET, *pieces)


# ---- shared facts ---------------------------------------------------------------------------


def token_url(token: TokenInfo) -> str | None:
    """A launch's page: DexScreener's when the chain and address allow, else the source's."""
    return dexscreener_url(token.chain, token.address) or token.url


def token_name(token: TokenInfo) -> str:
    return f"${clean(token.symbol, 20, defuse=False)} {clean(token.name, 40, defuse=False)}".strip()


def token_line(token: TokenInfo, lang: str) -> Line:
    """ "• $VIBE Vibe (dexscreener.com) · solana · launched 42 min after … · $1,234 liquidity"."""
    if token.after_seed is None:
        mark = t("token.unknown_seed", lang)
    elif token.after_seed and token.delay_seconds is not None:
        mark = t("token.delay", lang, delay=duration(token.delay_seconds, lang))
    elif token.after_seed:
        mark = t("token.after_seed", lang)
    else:
        mark = "⚠️ " + t("token.before_seed", lang)  # launched before anyone said it: suspect
    parts = [clean(token.chain, 20, defuse=False), mark]
    if token.liquidity_usd is not None:
        parts.append(t("token.liquidity", lang, liquidity=token.liquidity_usd))
    return bullet(Link(token_name(token), token_url(token)), SEPARATOR + SEPARATOR.join(parts))


def tokens_line(tokens: TokenSummary, lang: str) -> Line:
    """The launches on a narrative in one line, with a link to the best one when it has a page."""
    line = Line.of(tokens_text(tokens, lang))
    best = tokens.best
    if best is not None and safe_url(token_url(best)):
        symbol = f"${clean(best.symbol, 20, defuse=False)}"
        line = Line.of(*line.pieces, SEPARATOR, Link(symbol, token_url(best)))
    return line


def seed_link(leader: str | None, url: str | None, lang: str) -> Link | None:
    """ "seeded by @karpathy" linked to the seed post; "seed post" when no leader started it."""
    if leader:
        return Link(t("label.leader", lang, leader=handle(leader)), url)
    if safe_url(url):
        return Link(t("label.seed_post", lang), url)
    return None


def reason_lines(reasons: tuple[Reason, ...], lang: str) -> tuple[Line, ...]:
    return tuple(bullet(reason_text(r, lang)) for r in reasons)


def post_line(post: PostRef, lang: str, limit: int = POST_CHARS) -> Line:
    """ "• @author on x (x.com)" linked to the post, then its text quoted (cut to `limit`)."""
    who = t(
        "narrative.post_line",
        lang,
        author=handle(post.author),
        source=clean(post.source, 20, defuse=False),
    )
    return bullet(Link(who, post.url), Quote(clean(post.text, limit, defuse=False)))


# ---- views ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryView:
    """One narrative in a list or at the top of its breakdown."""

    headline: str
    state: str
    stats: Line  # score · trend `sparkline`
    facts: tuple[Line, ...]  # authors and sources, seed, tokens, followed handles


def summary_view(item: NarrativeSummary, lang: str) -> SummaryView:
    stats: list[Piece | str] = [
        t("label.score", lang, score=item.score) + SEPARATOR + t(f"trend.{item.trend}", lang)
    ]
    if item.sparkline:
        stats += [" ", Code(item.sparkline)]
    about = [t("label.authors", lang, authors=item.authors)]
    if item.sources:
        sources = ", ".join(clean(s, 20, defuse=False) for s in item.sources)
        about.append(t("label.sources", lang, sources=sources))
    facts = [Line.of(SEPARATOR.join(about))]
    if item.leader and (seed := seed_link(item.leader, item.seed_post_url, lang)):
        facts.append(Line.of(seed))
    if item.tokens.count:
        facts.append(tokens_line(item.tokens, lang))
    if item.followed:
        followed = ", ".join(f"@{handle(h)}" for h in item.followed)
        facts.append(Line.of(t("label.followed", lang, handles=clean(followed, 300, defuse=False))))
    return SummaryView(
        headline=headline(item.label, item.phrases, defuse=False),
        state=t(f"state.{item.state}", lang),
        stats=Line.of(*stats),
        facts=tuple(facts),
    )


@dataclass(frozen=True, slots=True)
class NarrativeView:
    """A narrative's breakdown: its summary, then titled sections."""

    summary: SummaryView
    sections: tuple[Section, ...]


def narrative_view(
    detail: NarrativeDetail, lang: str, post_chars: int = POST_CHARS
) -> NarrativeView:
    """The breakdown; `post_chars` lets a renderer with less room cut top posts shorter."""
    sections = []
    if detail.reasons:
        sections.append(Section(t("narrative.why", lang), reason_lines(detail.reasons, lang)))
    if detail.phrases:
        phrases = ", ".join(clean(p, PHRASE_CHARS, defuse=False) for p in detail.phrases[:PHRASES])
        sections.append(Section(t("narrative.phrases", lang), (Line.of(phrases),)))
    if detail.first_post is not None:
        first = post_line(detail.first_post, lang)
        sections.append(Section(t("narrative.first_post", lang), (first,)))
    if detail.top_posts:
        posts = tuple(post_line(p, lang, post_chars) for p in detail.top_posts[:TOP_POSTS])
        sections.append(Section(t("narrative.top_posts", lang), posts))
    if detail.tokens:
        tokens = tuple(token_line(tk, lang) for tk in detail.tokens[:TOKEN_LINES])
        sections.append(Section(t("narrative.tokens", lang), tokens))
    return NarrativeView(summary_view(detail.summary, lang), tuple(sections))


@dataclass(frozen=True, slots=True)
class AlertView:
    """The facts of an alert card, in the order both platforms show them."""

    title: str
    score: str
    reasons: Section | None
    seed: Link | None
    tokens: Line
    details: Link  # "Details: /narrative …", linked to the breakdown when there is a page
    watch_reason: str | None  # why a direct message came: the watch entry it matched


def alert_view(card: AlertCard, lang: str) -> AlertView:
    title_key = "alert.title" if card.episode <= 1 else "alert.title_again"
    label = headline(card.label, card.phrases, defuse=False)
    reasons = None
    if card.reasons:
        reasons = Section(t("alert.why", lang), reason_lines(card.reasons, lang))
    watch_reason = None
    if card.matched_watch is not None:
        kind = t(f"watch.kind.{card.matched_watch.kind}", lang)
        display = clean(card.matched_watch.display, defuse=False)
        watch_reason = t("alert.dm_reason", lang, kind=kind, display=display)
    command = clean(card.details_command, LABEL_CHARS + 12, defuse=False)
    return AlertView(
        title=t(title_key, lang, label=label),
        score=t("alert.score", lang, score=card.score),
        reasons=reasons,
        seed=seed_link(card.leader, card.seed_post_url, lang),
        tokens=tokens_line(card.tokens, lang),
        details=Link(t("alert.details", lang, command=command), card.details_url),
        watch_reason=watch_reason,
    )


# ---- one-line replies -----------------------------------------------------------------------


def watch_text(result: WatchResult, lang: str) -> str:
    """ "Watching phrase “vibe coding” (3/50)." or that it already was."""
    entry = result.entry
    kind = t(f"watch.kind.{entry.kind}", lang)
    key = "watch.added" if result.added else "watch.exists"
    display = clean(entry.display, defuse=False)
    return t(key, lang, kind=kind, display=display, count=result.count, limit=result.limit)


def unwatch_text(result: UnwatchResult, lang: str) -> str:
    kind = t(f"watch.kind.{result.entry.kind}", lang)
    return t("watch.removed", lang, kind=kind, display=clean(result.entry.display, defuse=False))


def watching_text(result: WatchResult, lang: str) -> str:
    """The answer to an alert's Watch button."""
    return t("callback.watching", lang, display=clean(result.entry.display))


def leader_text(key: str, change: LeaderChange, lang: str) -> str:
    """A leader change told with the catalog's `key` ("leaders.added", "leaders.removed", …)."""
    return t(key, lang, handle=handle(change.handle))


def quiet_text(value: str, mute: bool, lang: str) -> str:
    key = "alerts.quiet_added" if mute else "alerts.quiet_removed"
    return t(key, lang, value=clean(value, defuse=False))


# ---- watch list, alert settings, leaders, status --------------------------------------------


def watchlist_lines(result: WatchList, lang: str) -> tuple[Line, ...]:
    """ "• vibe coding (phrase)" per entry."""
    return tuple(
        bullet(
            clean(item.display, defuse=False),
            " ",
            Italic(f"({t(f'watch.kind.{item.kind}', lang)})"),
        )
        for item in result.items
    )


def disabled_reason(reason: str, lang: str) -> str:
    """Why alerts stopped: known delivery failures in the user's language, others as recorded."""
    if "50013" in reason or "50001" in reason or reason.startswith("forbidden"):
        return t("reason.missing_access", lang)
    return clean(reason, 200, defuse=False)


def settings_lines(result: SubscriptionSettings, lang: str, *, not_set: str) -> tuple[Line, ...]:
    """A chat's alert settings, on or off first; `not_set` says how to set alerts up."""
    if not result.subscribed:
        state = not_set
    else:
        state = t("alerts.status_enabled" if result.enabled else "alerts.status_disabled", lang)
    language = t(f"language.{result.language}", lang)
    lines = [
        state,
        t("alerts.status_threshold", lang, threshold=result.threshold),
        t("alerts.status_language", lang, language=language),
    ]
    quiet = [f"@{q}" for q in result.quiet_leaders] + list(result.quiet_phrases)
    if quiet:
        values = ", ".join(clean(q, 60, defuse=False) for q in quiet)
        lines.append(t("alerts.status_quiet", lang, values=values))
    if result.disabled_reason:
        reason = disabled_reason(result.disabled_reason, lang)
        lines.append(t("alerts.status_reason", lang, reason=reason))
    return tuple(Line.of(text) for text in lines)


def leader_line(entry: LeaderEntry) -> Line:
    """ "• @karpathy — Andrej Karpathy" (the name only when it says more than the handle)."""
    name = clean(entry.name, 80, defuse=False)
    shown = f"@{handle(entry.handle)}"
    return bullet(shown + (f" — {name}" if name and name != entry.handle else ""))


def leaders_lines(result: LeaderList, lang: str) -> tuple[tuple[Line, ...], Section]:
    """The tracked leaders, and a section with the ones this chat follows."""
    chat = tuple(leader_line(e) for e in result.chat_leaders)
    followed = Section(t("leaders.chat", lang), chat or (Line.of(t("leaders.none_chat", lang)),))
    return tuple(leader_line(e) for e in result.global_leaders), followed


HEALTH_ICONS = {"ok": "🟢", "degraded": "🟡", "down": "🔴", "disabled": "⚪"}


@dataclass(frozen=True, slots=True)
class SourceView:
    title: str  # "🟢 bluesky: ok"
    facts: tuple[str, ...]  # last data, last error


@dataclass(frozen=True, slots=True)
class StatusView:
    title: str
    totals: tuple[str, ...]
    sources: tuple[SourceView, ...]
    no_sources: str | None  # said when no source reported yet


def status_view(report: StatusReport, lang: str, now: datetime) -> StatusView:
    """Totals first, then each source; `now` measures source times (wall clock)."""
    totals = [t("status.narratives", lang, count=report.narratives_tracked)]
    if report.last_scan is not None:
        ago = duration(((report.now or now) - report.last_scan).total_seconds(), lang)
        totals.append(t("status.last_scan", lang, ago=ago))
    else:
        totals.append(t("status.never", lang))
    totals.append(t("status.database_ok" if report.database_ok else "status.database_down", lang))
    totals.append(t("status.pending", lang, count=report.alerts_pending))
    if report.by_state:
        counts = (f"{t(f'state.{s}', lang)} {n}" for s, n in sorted(report.by_state.items()))
        totals.append(SEPARATOR.join(counts))
    sources = []
    for source in report.sources:
        state = t(f"health.{source.state}", lang)
        name = t("status.source", lang, name=clean(source.name, 60, defuse=False), state=state)
        facts = []
        if source.last_success is not None:
            ago = duration((now - source.last_success).total_seconds(), lang)
            facts.append(t("status.source_last", lang, ago=ago))
        # A source that works again keeps its last error; it no longer matters.
        if source.last_error and source.state != "ok":
            error = clean(source.last_error, 150, defuse=False)
            facts.append(t("status.source_error", lang, error=error))
        icon = HEALTH_ICONS.get(source.state, "")
        sources.append(SourceView(f"{icon} {name}".strip(), tuple(facts)))
    return StatusView(
        title=t("status.title", lang),
        totals=tuple(totals),
        sources=tuple(sources),
        no_sources=None if report.sources else t("status.no_sources", lang),
    )
