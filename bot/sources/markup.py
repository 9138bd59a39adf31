"""HTML to plain text for posts that arrive as markup (Mastodon, RSS summaries, HN text)."""

from __future__ import annotations

import html
import re

_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h\d)\s*/?>")
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Strip tags, unescape entities, keep paragraph breaks."""
    text = _BREAK.sub("\n", markup)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _LINES.sub("\n\n", text).strip()
