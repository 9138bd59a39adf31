"""Tokens: normalising a post, splitting it into tokens, and which tokens may edge a phrase.

Also the 64-bit mixing every phrase and token hash goes through, so the vocabulary
(bot/engine/vocab.py) and phrase extraction (bot/engine/text.py) agree on every key.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from bot.engine.folding import HAN, HIRAGANA, KATAKANA, STOPWORDS

POST_SEP = "\x00"  # joins posts in a batch (as its own whitespace-delimited chunk)
MAX_TEXT_CHARS = 4000  # huge posts are truncated: bounded cost, and phrases live near the start

STOP, BREAK, TAG, SEP = 1, 2, 4, 8
CJK_WORD = 16  # a word in Han, hiragana or katakana (its post's script, for the memories)

_CJK = HAN + HIRAGANA + KATAKANA
_WORD = rf"[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*"
TOKEN_RE = re.compile(
    r"#[^\W_][\w]{0,60}"
    r"|\$[^\W\d_]\w{0,19}"
    rf"|[{HAN}]{{1,4}}"  # long Han runs are chunked so Chinese without kana still yields phrases
    rf"|[{HIRAGANA}]+"
    rf"|[{KATAKANA}]+"
    rf"|{_WORD}"
    r"|[\x00.,!?;:()\[\]{}\"“”«»「」『』【】。、・…|/]"
)
_STRIP_RE = re.compile(r"https?://\S+|www\.\S+|(?<![\w@])@[\w.]+")
_HIRAGANA_RE = re.compile(f"^[{HIRAGANA}]+$")
# Ordinals and decades ("3rd", "4th", "1990s") are numbers: "june 3rd" is a date, not a coinage.
_NUMBER_RE = re.compile(r"^\d+(?:st|nd|rd|th|s)$")

# Finalizer constants (odd 64-bit multipliers).
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)


def normalize(text: str) -> str:
    """NFKC + casefold, with URLs and @mentions replaced by a phrase break."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return _STRIP_RE.sub(" . ", text)


def tokenize(normalized: str) -> list[str]:
    """Split normalized text into word, hashtag, cashtag, CJK-run and break tokens."""
    return TOKEN_RE.findall(normalized)


def is_break(token: str) -> bool:
    return token == POST_SEP or not (token[:1].isalnum() or token[:1] in "#$")


def is_edge_stop(token: str) -> bool:
    """Tokens a phrase may contain but not start or end with (stopwords, particles, numbers)."""
    if token in STOPWORDS or token.isdigit() or _NUMBER_RE.match(token) is not None:
        return True
    if len(token) == 1 and token.isascii():
        return True
    # Hiragana runs are particles/inflection (を, が, する, ました); content is Han/katakana.
    return _HIRAGANA_RE.match(token) is not None


def mix64(x: np.ndarray) -> np.ndarray:
    """Finalizer so every bit of the phrase hash is usable for table indexing."""
    x = x ^ (x >> np.uint64(33))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(29))
    x = x * _MIX2
    x = x ^ (x >> np.uint64(32))
    x[x == 0] = 1  # 0 marks an empty hash-table cell
    return x
