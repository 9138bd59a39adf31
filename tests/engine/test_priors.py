"""What the adoption test expects of a phrase before its burst (bot/engine/priors.py)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.evidence import Evidence
from bot.engine.priors import StreamAge, expected_shares, is_common

CFG = EngineConfig()


def test_a_plain_word_is_judged_by_its_own_share_once_memory_holds_enough_posts() -> None:
    """ "turkey" at 4 posts a day on a 5k-post-a-day stream is rare once a week is remembered.

    Until half a day has passed and a common word would have shown up often in the slow memory,
    every plain word needs a common word's evidence; after that only one the stream used in a
    post in a thousand does. On a sparse stream the memory is still under half full after a week,
    but a word never seen in as many posts as would hold a common word several times is rare.
    """
    word = Candidate(key=1, slot=1, first_seen=datetime(2013, 6, 1, tzinfo=UTC))
    word.canonical, word.n_tokens, word.usual = "turkey", 1, 8e-4
    coined = Candidate(key=2, slot=2, first_seen=word.first_seen)
    coined.canonical, coined.n_tokens = "restore the fourth", 3
    table = PhraseTable(CFG)

    def common(cand: Candidate, seen_hours: float, slow_volume: float) -> bool:
        table.slow_volume = slow_volume
        return is_common(cand, CFG, table, StreamAge(None, seen_hours * 3600.0), told=False)

    assert common(word, 36, 8_000.0)  # a day and a half of a sparse stream: cannot tell yet
    assert not common(word, 7 * 24, 35_000.0)  # a week: the memory under half full
    assert common(word, 6, 35_000.0)  # as many posts in six hours: not a day's cycle yet
    word.usual = 2e-3  # in one post in five hundred: a word of the language
    assert common(word, 7 * 24, 35_000.0)
    assert not common(coined, 36, 8_000.0)  # a phrase of several words is never common this way
    coined.usual = 2e-3  # ... until the memory can tell, if the stream wrote it routinely
    assert not common(coined, 36, 8_000.0)
    assert common(coined, 7 * 24, 35_000.0)  # "本当に本当", "right now": part of the language
    coined.usual = 0.0
    word.usual = 0.0  # never seen: in 8,000 posts a common word would have been 8 times
    assert not common(word, 36, 8_000.0)
    assert common(word, 36, 4_000.0)  # ... in 4,000 posts 4 times: a common word could be missed
    assert common(word, 6, 8_000.0)  # still not a day's cycle


def test_a_phrase_many_took_up_before_its_evidence_window_is_established() -> None:
    """A phrase growing slowly all day had dozens of adopters before its latest rise.

    Its baseline lags the growth (and its night-time share is higher than by day), so the
    newest stretch can look like a burst: it needs a common word's evidence. Not if those
    adopters came just before the window (a story seen in coarse ticks: its own rise), and not
    once its story was told: then the score says how viral the story is now.
    """
    at = datetime(2026, 3, 1, tzinfo=UTC)
    now = at.timestamp() + 5 * 3600
    age = StreamAge(now, 5 * 3600.0)
    table = PhraseTable(CFG)
    slow = Candidate(key=1, slot=1, first_seen=at)
    slow.canonical, slow.n_tokens = "drovia garden", 2
    slow.total_weight = 64.0
    slow.adopt_times = [now - 3 * 3600]  # this life began two hours before the window
    slow.evidence = Evidence(12.0, 30.0, 30, 8.0, 3600.0, 2000, 8.0)
    assert is_common(slow, CFG, table, age, told=False)  # 34 adopters before the window
    slow.evidence = Evidence(12.0, 50.0, 50, 8.0, 3600.0, 2000, 8.0)
    assert not is_common(slow, CFG, table, age, told=False)  # 14 before it: a story's own start
    slow.evidence = Evidence(12.0, 30.0, 30, 8.0, 3600.0, 2000, 8.0)
    slow.adopt_times = [now - 3600 - 20 * 60]  # its first adopter 20 min before it
    assert not is_common(slow, CFG, table, age, told=False)
    slow.adopt_times = [now - 3 * 3600]
    assert not is_common(slow, CFG, table, age, told=True)  # told: its score is its state


def test_a_phrase_that_grew_for_hours_untracked_is_established() -> None:
    """ "drovia garden" grew all day, too smoothly to be tracked, in 2-4 % of posts by evening:
    tracked at last, its life has no earlier adopters, but the table counted its mentions.

    Mentions an hour or more before the evidence window make it established; the same
    mentions just before the window are a story's own rise.
    """
    table = PhraseTable(CFG)
    table.bucket = 1000
    now = 1000 * CFG.bucket_seconds + 10.0
    cand = Candidate(key=1, slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    cand.canonical, cand.n_tokens = "drovia garden", 2
    cand.adopt_times = [now - 600]  # tracked ten minutes ago
    cand.total_weight = 9.0
    cand.evidence = Evidence(12.0, 9.0, 9, 1.0, 1800.0, 2000, 3.0)  # a 30-minute window
    age = StreamAge(now, 20 * 3600.0)
    ring = CFG.ring_buckets
    assert not is_common(cand, CFG, table, age, told=False)
    table.ring[1, [(1000 - k) % ring for k in range(12, 20)]] = 4.0  # 60-95 min ago
    assert not is_common(cand, CFG, table, age, told=False)  # its own rise
    table.ring[1, [(1000 - k) % ring for k in range(20, 40)]] = 2.0  # 100-195 min ago
    assert is_common(cand, CFG, table, age, told=False)
    assert not is_common(cand, CFG, table, age, told=True)


def test_two_words_in_most_posts_with_a_stopword_between_meet_by_chance() -> None:
    """ "musakix but nofusux": two words in 75 % and 50 % of posts, "but" between them.

    Its expected share is what chance gives: each word's uses per post (a word in 75 % of
    posts is there 1.4 times a post), a stopword taken as once a post, over the post's length.
    """
    cand = Candidate(key=7, slot=7, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    cand.canonical, cand.n_tokens, cand.words = (
        "musakix but nofusux",
        3,
        ("musakix", "but", "nofusux"),
    )
    table = PhraseTable(CFG)
    table.share = lambda slots, bucket: np.full(len(slots), 1e-4)  # type: ignore[method-assign]
    table.overall = lambda keys: np.array([0.75, 0.0, 0.5])  # type: ignore[method-assign]
    [share] = expected_shares([cand], np.array([7]), 0, table, [False], 20.0).tolist()
    expected = -math.log(0.25) * 1.0 * -math.log(0.5) / 20**2
    assert share == pytest.approx(expected)  # 2.4e-3, 24 times the prior
    table.slow_count[7], table.slow_volume = 30.0, 10_000.0
    [share] = expected_shares([cand], np.array([7]), 0, table, [True], 20.0).tolist()
    assert share == pytest.approx(3e-3)  # a common phrase: its share of all seen, burst included
