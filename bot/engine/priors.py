"""The null of the adoption test: how often a phrase is expected, before its burst.

The sequential test (bot/engine/evidence.py) asks whether a phrase is taken up faster than a
share of the stream says. This module holds what that share is, besides the phrase's own
baseline (bot/engine/baseline.py), when its history is short or says little:

- a word or phrase the stream uses routinely (or one people have used for long without it
  becoming a story) is *common*: it is judged against its share of everything seen, burst
  included, and needs a common word's evidence (bot/engine/scoring.py);
- a phrase of several words is expected at least as often as its words meet by chance (and
  a leader's phrase the stream would write by chance is no coinage of theirs).

Pure functions of the engine's state, passed in; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.engine import clustering
from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.text import word_keys
from bot.engine.tokens import is_edge_stop

ESTABLISHED = 4.0  # a phrase with this many times a story's adopters in earlier lives is common
MAX_POST_SHARE = 0.99  # a word in every post remembered is taken to be used ~4.6 times a post
# Mentions a word used in one post in a thousand would have in the slow memory before a plain
# word's share tells "common" from "rare" (a fifth of that count is its standard error).
KNOWN_MENTIONS = 25.0
# Before that, a word whose mentions plus this many standard deviations (Poisson) stay below a
# common word's mentions is known to be rare: never seen where a common word would be 6.25 times.
RARE_Z = 2.5


@dataclass(frozen=True, slots=True)
class StreamAge:
    """How much of the stream the engine has seen: what its memories can know yet."""

    now_ts: float | None  # stream time now
    seen_seconds: float  # stream time seen, long gaps not counted


def is_common(
    cand: Candidate, cfg: EngineConfig, table: PhraseTable, age: StreamAge, told: bool
) -> bool:
    """A plain word the stream uses routinely: it needs far more evidence than a coinage.

    Until the bot has seen the baseline's half-life of stream time (a word's share at night is
    not its share by day) and the slow memory holds enough posts that a common word would have
    shown up ``KNOWN_MENTIONS`` times, every plain word counts as common (a new bot knows no
    history). After that, a plain word is common if, when it was tracked, the stream used it in
    at least one post in a thousand ("time", "flight"); a word that was rare then ("prism"
    before the leak) is news. Not "half the slow memory": on a sparse stream (a few thousand
    posts a day) that takes a week or more. Before that, a word is known to be rare once even
    its mentions plus ``RARE_Z`` standard deviations stay below a common word's (a word never
    seen in ten thousand posts is no everyday word of them). Once the memory can tell, a phrase
    of several words (or a long CJK chunk) the stream used that routinely is common too
    ("本当に本当", "right now"); a coinage is never common before anyone wrote it.

    So is a phrase people have used for long without it becoming a story: one that, in its
    earlier tracked lives, or in this one before its evidence window (over an hour or more,
    while it is not a ``told`` story's), had ``ESTABLISHED`` times the adopters a story needs
    (a phrase growing slowly all day is part of the language by evening, and a baseline that
    lags its growth must not make its night-time share look like a burst). Mentions the table
    counted an hour or more before the window count too (as far back as its 4-hour ring): a
    phrase that grew too smoothly to be tracked has no earlier life.
    """
    before = 0.0
    if not told and age.now_ts is not None:
        # "For long": an hour or more before the window began; a story seen in coarse ticks
        # has its steepest stretch as its window and its own rise just before.
        hour = cfg.window_buckets * cfg.bucket_seconds
        began = age.now_ts - cand.evidence.window_seconds
        if cand.adopt_times and began - cand.adopt_times[0] >= hour:
            before = max(cand.total_weight - cand.evidence.adopters, 0.0)
        # A phrase that grew for hours without jumping enough to be tracked has no earlier
        # life, but the table counted its mentions all along.
        old = table.mentions_before(cand.slot, int((began - hour) // cfg.bucket_seconds))
        before = max(before, old)
    if cand.past_weight + before >= ESTABLISHED * cfg.min_adopters:
        return True
    plain = clustering.ordinary(cand)
    if age.seen_seconds < cfg.baseline_half_life_hours * 3600:
        return plain
    expected = table.slow_volume * cfg.common_share  # a common word's mentions in that memory
    if expected >= KNOWN_MENTIONS:
        # A phrase of several words (or a long CJK chunk) the stream wrote that often is part
        # of the language too ("本当に本当", "ラーメン", "right now").
        return cand.usual >= cfg.common_share
    if not plain:
        return False
    seen = cand.usual * table.slow_volume
    return seen + RARE_Z * math.sqrt(seen) + RARE_Z**2 >= expected


def expected_shares(
    cands: Sequence[Candidate],
    slots: np.ndarray,
    bucket: int,
    table: PhraseTable,
    common: Sequence[bool],
    words_per_post: float,
) -> np.ndarray:
    """Each phrase's expected share of posts: its baseline, with two priors for a short history.

    A ``common`` phrase is judged against its share of everything seen so far, burst included:
    a word of the language is rarely news. A phrase of several words is expected at least as
    often as its words meet by chance (their uses per post multiplied, per word of a post), so
    two common words side by side are not a coinage, nor are they with a stopword between them.
    A word in a share ``s`` of posts is used ``-ln(1 - s)`` times a post (Poisson): a word in
    most posts is often there twice, which its share of posts alone does not say.
    """
    shares = table.share(slots, bucket)
    for i, cand in enumerate(cands):
        if common[i]:
            overall = float(table.slow_count[cand.slot]) / max(table.slow_volume, 1.0)
            shares[i] = max(shares[i], overall)
        elif len(cand.words) >= 2:
            shares[i] = max(shares[i], chance_share(cand, table, words_per_post))
    return shares


def chance_share(cand: Candidate, table: PhraseTable, words_per_post: float) -> float:
    """The share of posts in which a phrase's words meet by chance (0 for a single word).

    Their uses per post multiplied, per word of a post: a word in a share ``s`` of posts is
    used ``-ln(1 - s)`` times a post (Poisson).
    """
    if len(cand.words) < 2:
        return 0.0
    if cand.parts is None:
        cand.parts = word_keys(cand.words)
    uses = -np.log1p(-np.minimum(table.overall(cand.parts), MAX_POST_SHARE))
    # A stopword is never a phrase alone, so its share is not counted: take it as used once a
    # post ("the" is, "but" less), erring towards chance.
    stops = [is_edge_stop(w) for w in cand.words]
    chance = float(np.prod(np.where(stops, 1.0, uses)))
    return chance / words_per_post ** (cand.n_tokens - 1)
