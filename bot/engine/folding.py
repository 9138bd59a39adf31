"""Canonical phrase folding: case, plural/singular, simple inflection, hashtags, CJK joins."""

from __future__ import annotations

import hashlib
import re

# Script classes used by the tokenizer and by canonical joining (CJK tokens join without spaces).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
HIRAGANA = "\u3041-\u309f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff"
_CJK = HAN + HIRAGANA + KATAKANA
_CJK_RE = re.compile(f"[{_CJK}]")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "im",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "like",
        "lol",
        "me",
        "more",
        "most",
        "much",
        "mustn't",
        "my",
        "myself",
        "new",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "rt",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "via",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "yeah",
        "yes",
        "yet",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "amp",
        "just",
        "still",
        "dont",
        "cant",
        "wont",
        "youre",
        "thats",
    ]
)

_VOWELS = frozenset("aeiouy")


def is_cjk(token: str) -> bool:
    """True for a token written in Han, hiragana or katakana."""
    return bool(token) and _CJK_RE.match(token) is not None


def _short_cvc(base: str) -> bool:
    # "cod" -> "code", "vib" -> "vibe": restore the silent e that -ing/-ed removed.
    return (
        len(base) == 3
        and base[0] not in _VOWELS
        and base[1] in _VOWELS
        and base[2] not in _VOWELS
        and base[2] not in "wx"
    )


_ZERO_PAD = re.compile(r"(?<![0-9])0+(?=[0-9])")


def stem(word: str) -> str:
    """Fold plural and simple inflection of an ASCII word: summoning/summoned/summons -> summon.

    Letters with numbers lose zero padding: "S03E10" and "S3E10" name the same episode.
    """
    if len(word) <= 3 or not word.isascii():
        return word
    if not word.isalpha():
        return _ZERO_PAD.sub("", word) if word.isalnum() and not word.isdigit() else word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if not any(c in _VOWELS for c in base):
                continue
            if base[-1] == base[-2] and base[-1] not in "lsz":
                return base[:-1]
            if _short_cvc(base):
                return base + "e"
            return base
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def fold_token(token: str) -> str:
    """Canonical form of one normalized token (hashtag bodies are stemmed, cashtags kept)."""
    if token.startswith("#") and len(token) > 1:
        return "#" + stem(token[1:])
    if token.startswith("$"):
        return token
    return stem(token)


def join_tokens(tokens: list[str] | tuple[str, ...]) -> str:
    """Join folded tokens: a space between words, none between two CJK tokens."""
    out: list[str] = []
    prev_cjk = False
    for tok in tokens:
        cjk = is_cjk(tok)
        if out and not (cjk and prev_cjk):
            out.append(" ")
        out.append(tok)
        prev_cjk = cjk
    return "".join(out)


def stable_hash(text: str) -> int:
    """64-bit hash that is identical across processes (unlike hash())."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1
