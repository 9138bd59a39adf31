"""Bounded, storable values from upstream payloads: strings, counts, numbers and epoch times.

Every connector reads text and numbers written by someone else. These helpers turn them into
values the rest of the bot can keep and store without surprises: strings without NUL or lone
surrogates (PostgreSQL and UTF-8 encoders refuse both) and cut to a length, counts that are
plain non-negative ints, floats that are finite, and times that a datetime can hold.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from bot.posts import PostFormatError

MAX_TEXT = 4000  # characters of post text kept
MAX_AUTHOR = 200
MAX_ID = 300  # storage.models.Narrative.seed_post_id
MAX_URL = 1000  # storage.models.Narrative.seed_post_url
MAX_COUNT = 10**12  # likes, replies...: more than anyone has, less than any column overflows

# C0 controls except tab and newline, and DEL: never meaningful in a post, NUL is not storable
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    """A string value cut to `limit`, without control characters or lone surrogates; else ""."""
    if not isinstance(value, str):
        return ""
    # cut first (a 5 MB body costs nothing more), then repair what the cut kept
    value = value[: limit * 2]
    value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    return _CONTROL.sub("", value)[:limit]


def clean_url(value: Any) -> str | None:
    """An http(s) URL short enough to store, else None (a link is optional everywhere)."""
    text = clean_text(value, MAX_URL + 1)
    if not text.startswith(("https://", "http://")) or len(text) > MAX_URL or " " in text:
        return None
    return text


def count(value: Any) -> int:
    """A non-negative count from an int (bools, floats and junk are 0), capped."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return 0
    return min(value, MAX_COUNT)


def finite(value: Any) -> float | None:
    """A finite float from a number or numeric string ("123.45", "NaN" -> None)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > 100:  # a number, not a 5 MB digit string (int() refuses those anyway)
            return None
        try:
            number = float(value)
        except ValueError:
            return None
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def epoch(value: Any, *, millis: bool = False) -> datetime:
    """An aware UTC datetime from epoch seconds (or milliseconds); raises PostFormatError."""
    seconds = finite(value) if isinstance(value, int | float) else None
    if seconds is None:
        raise PostFormatError("time is not a finite number")
    if millis:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PostFormatError("time is out of range") from None
