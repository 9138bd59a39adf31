"""Platform-neutral text pieces: sanitizing scraped text, durations, reasons, alert lines.

Everything returned here is plain, unescaped text; platform renderers escape it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from bot.i18n import t
from bot.service.errors import BadArgument, ServiceError
from bot.service.inputs import BIDI_CONTROLS
from bot.service.types import AlertCard, CooledNarrative, GhostsResult, Reason, TokenSummary

WORD_JOINER = "\u2060"
ELLIPSIS = "…"
LABEL_CHARS = 80
POST_CHARS = 280


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


def error_text(error: ServiceError, lang: str) -> str:
    """What to tell the user about a ServiceError (bad arguments get the usage line)."""
    if isinstance(error, BadArgument):
        usage = t("error.bad_argument", lang, usage=t(f"usage.{error.usage}", lang))
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
