"""Validation of what users type: watch items, handles, tickers, thresholds, queries."""

from __future__ import annotations

import re
import unicodedata

from bot.engine import canonicalize
from bot.leaders import LeaderFormatError, canonical_entry, normalize_handle
from bot.service.errors import BadArgument, WatchItemTooLong
from bot.service.types import WatchEntry

HANDLE_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,99}$")
TICKER_RE = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Bidi embedding/override/isolate marks: they can make scraped or typed text display reversed.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)


def has_unsafe_chars(text: str) -> bool:
    """Control characters (other than plain spaces) or bidi overrides."""
    return any(
        ch in BIDI_CONTROLS or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d")
        for ch in text
    )


def clean_input(text: str, usage: str, max_chars: int) -> str:
    """Trimmed text, or BadArgument/WatchItemTooLong for empty, unsafe or too long input."""
    value = " ".join(text.split())
    if not value:
        raise BadArgument(usage, "bad.empty")
    if len(value) > max_chars:
        raise WatchItemTooLong(limit=max_chars)
    if has_unsafe_chars(value):
        raise BadArgument(usage, "bad.text")
    return value


def parse_handle(text: str, usage: str) -> str:
    """A leader handle, lowercase without "@"."""
    handle = normalize_handle(text)
    if not HANDLE_RE.match(handle):
        raise BadArgument(usage, "bad.handle")
    return handle


def parse_leader(text: str, usage: str) -> str:
    """A leader entry: "handle" (X and Bluesky) or "network:handle", canonical form."""
    value = " ".join(text.split())
    if not value or len(value) > 120 or has_unsafe_chars(value):
        raise BadArgument(usage, "bad.handle")
    try:
        return canonical_entry(value)
    except LeaderFormatError:
        raise BadArgument(usage, "bad.handle") from None


def parse_watch(text: str, usage: str = "watch", max_chars: int = 100) -> WatchEntry:
    """ "@leader" → leader, "$TICKER" → token, anything else → canonical phrase."""
    value = clean_input(text, usage, max_chars)
    if value.startswith("@"):
        return WatchEntry("leader", parse_handle(value, usage), value)
    if value.startswith("$"):
        symbol = value[1:]
        if not TICKER_RE.match(symbol):
            raise BadArgument(usage, "bad.ticker")
        return WatchEntry("token", symbol.upper(), "$" + symbol.upper())
    canonical = canonicalize(value)[:max_chars]
    if not canonical:
        raise BadArgument(usage, "bad.empty")
    return WatchEntry("phrase", canonical, value)


def parse_threshold(value: float | int | str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadArgument("alerts", "bad.threshold") from None
    if not 0 <= number <= 100:  # also rejects NaN
        raise BadArgument("alerts", "bad.threshold")
    return number


def parse_hours(value: int | str, maximum: int = 48) -> int:
    try:
        hours = int(str(value).strip())
    except ValueError:
        raise BadArgument("ghosts", "bad.hours") from None
    if not 1 <= hours <= maximum:
        raise BadArgument("ghosts", "bad.hours")
    return hours


def word_grams(phrase: str, max_words: int = 6) -> set[str]:
    """Every run of consecutive words: what a watched phrase may equal to match `phrase`."""
    words = phrase.split()
    grams = set()
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + max_words) + 1):
            grams.add(" ".join(words[i:j]))
    return grams
