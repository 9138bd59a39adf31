"""Localized facts several views share: durations, headlines, reasons, tokens, seeds, posts."""

from __future__ import annotations

import unicodedata

from bot.i18n import t
from bot.render.clean import LABEL_CHARS, clean, handle, safe_url
from bot.render.lines import SEPARATOR, Line, Link, Quote, bullet
from bot.service.types import PostRef, Reason, TokenInfo, TokenSummary

POST_CHARS = 280


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
