"""Scraped and user text made safe to show: one line, bounded, no live mentions or bad links.

Nothing here escapes markup; each platform's renderer does that on top.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from bot.service.inputs import BIDI_CONTROLS

WORD_JOINER = "\u2060"
ELLIPSIS = "…"
LABEL_CHARS = 80


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


def handle(name: str | None) -> str:
    """A leader handle for display, without "@" (templates add it)."""
    return clean(name, 60, defuse=False).lstrip("@")
