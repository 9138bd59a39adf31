"""Match token launches to narratives by name, symbol and description.

A token matches strongly when a distinctive word of the narrative appears as a whole word of
its name or symbol ("GHOST", "KarpathyGhost", "$SUMMON" for "summoning ghosts"), or when its
squashed name equals the squashed phrase. A narrative word buried inside a longer word
("GHOSTFACE KILLAH") or only in the description is a weak match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from bot.tokens.types import TokenLaunch

LONG_BEFORE = timedelta(days=2)  # launched this long before the seed: an older, unrelated coin
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Words in many token names that say nothing about a narrative.
GENERIC = frozenset(
    {
        *("a", "an", "and", "the", "of", "to", "in", "on", "for", "is", "it", "my", "we"),
        *("by", "or", "at", "be", "ai", "coin", "token", "inu", "official", "meme", "sol"),
        *("eth", "base", "pump", "fun", "dao", "protocol", "finance", "cto", "real", "new"),
    }
)


def stem(word: str) -> str:
    """Crude suffix stripping: ghosts/ghosting/ghosted -> ghost, summoning -> summon."""
    for suffix in ("ing", "ers", "ies", "ed", "es", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                return base + "y"
            if suffix == "es" and not base.endswith(("s", "x", "z", "ch", "sh")):
                return word[:-1]
            return base
    return word


def words(text: str) -> list[str]:
    """Lowercase words, splitting camelCase and dropping $, # and punctuation."""
    spaced = _CAMEL.sub(" ", text)
    return [w for w in _NON_WORD.split(spaced.lower()) if w]


@dataclass(frozen=True, slots=True)
class NarrativeRef:
    key: str
    phrases: tuple[str, ...]
    seed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenMatchResult:
    token: TokenLaunch
    narrative_key: str
    similarity: float  # 0..100
    strong: bool
    after_seed: bool | None  # None when the narrative or token has no time to compare
    delay_seconds: int | None  # launch time minus seed time

    @property
    def long_before_seed(self) -> bool:
        return self.delay_seconds is not None and self.delay_seconds < -LONG_BEFORE.total_seconds()

    def describe_timing(self) -> str:
        """ "launched 42 min after the seed post" and the like."""
        if self.delay_seconds is None:
            return "launch time unknown"
        if self.long_before_seed:
            return f"launched {_span(-self.delay_seconds)} before the seed post (older token)"
        side = "after" if self.delay_seconds >= 0 else "before"
        return f"launched {_span(abs(self.delay_seconds))} {side} the seed post"


def _span(seconds: int) -> str:
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{round(seconds / 86400)} days"


def _phrase_score(phrase: str, name_words: list[str], desc_words: set[str]) -> tuple[float, bool]:
    key_words = [stem(w) for w in words(phrase) if w not in GENERIC and len(w) >= 3]
    if not key_words:
        return 0.0, False
    stems = {stem(w) for w in name_words}
    whole = partial = described = 0
    for word in key_words:
        if word in stems or any(len(w) >= 4 and fuzz.ratio(word, w) >= 90 for w in stems):
            whole += 1
        elif len(word) >= 4 and any(w.startswith(word) or w.endswith(word) for w in name_words):
            partial += 1
        elif word in desc_words:
            described += 1
    squashed_phrase = "".join(key_words)
    squashed_name = "".join(stem(w) for w in name_words if w not in GENERIC)
    squash = fuzz.ratio(squashed_phrase, squashed_name) if squashed_name else 0.0
    coverage = 100.0 * (whole + 0.5 * partial + 0.3 * described) / len(key_words)
    # the name is mostly other words ("ghost" inside "ghostface killah") -> weak
    strong = whole > 0 or squash >= 90
    return max(coverage, squash if squash >= 90 else 0.0), strong


def match_token(
    token: TokenLaunch, narratives: Iterable[NarrativeRef], *, weak_floor: float = 25.0
) -> list[TokenMatchResult]:
    """Every narrative this token plausibly rides on, strongest first."""
    name_words = words(f"{token.name} {token.symbol}")
    desc_words = {stem(w) for w in words(token.description)}
    results = []
    for ref in narratives:
        best, strong = 0.0, False
        for phrase in ref.phrases:
            score, is_strong = _phrase_score(phrase, name_words, desc_words)
            if (is_strong, score) > (strong, best):
                best, strong = score, is_strong
        if best < weak_floor:
            continue
        delay: int | None = None
        after: bool | None = None
        if ref.seed_at is not None and token.launched_at is not None:
            delay = int((token.launched_at - ref.seed_at).total_seconds())
            after = delay >= 0
        results.append(
            TokenMatchResult(token, ref.key, round(min(best, 100.0), 1), strong, after, delay)
        )
    results.sort(key=lambda r: (not r.strong, -r.similarity, r.narrative_key))
    return results


def match_tokens(
    tokens: Sequence[TokenLaunch], narratives: Sequence[NarrativeRef]
) -> list[TokenMatchResult]:
    return [m for token in tokens for m in match_token(token, narratives)]
