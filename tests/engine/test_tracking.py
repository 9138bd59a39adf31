"""Promotion: the prior-share pre-filter never drops a phrase the full test would track."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from bot.engine.baseline import PhraseTable
from bot.engine.config import EngineConfig
from bot.engine.overheard import Overheard
from bot.engine.seeding import Leaders
from bot.engine.tokens import mix64
from bot.engine.tracking import Tracker
from bot.engine.vocab import Vocab

CFG = EngineConfig(capacity=4096)


def _chatter(
    seed: int, steps: int, shift: Callable[[int], int], pool: Callable[[int], int]
) -> Iterator[tuple[Tracker, int]]:
    """A tracker fed a Zipf chatter a bucket at a time, its mix shifting (``shift``: what the
    step adds to every word, ``pool``: how many words it draws from), so some phrases jump."""
    table = PhraseTable(CFG)
    tracker = Tracker(CFG, table, Leaders(CFG), Overheard(Vocab(), 3600.0, 4000))
    rng = np.random.default_rng(seed)
    bucket = 40_000
    for step in range(steps):
        bucket += 1
        n = int(rng.integers(200, 600))
        words = np.minimum(rng.zipf(1.2, n), pool(step)) + shift(step)
        table.advance(bucket)
        table.add_posts(np.full(n // 3, bucket, dtype=np.int64))
        table.add(mix64(words.astype(np.uint64)), np.full(n, bucket, dtype=np.int64))
        yield tracker, bucket


def test_no_phrase_jumps_against_its_share_that_does_not_jump_against_the_prior() -> None:
    found = dropped = 0
    for tracker, bucket in _chatter(
        5, 600, lambda step: (step // 150) * 7, lambda step: 3000 if step < 400 else 3600
    ):
        table = tracker.table
        live = table.live
        share = table.share(live, bucket)
        assert share.dtype == np.float32  # what the floor below assumes
        assert (share >= np.float32(CFG.prior_share)).all()
        floor = np.full(live.size, CFG.prior_share, dtype=np.float32)
        strong = tracker._jump(live, share, bucket) > 0
        possible = tracker._jump(live, floor, bucket) > 0
        assert not (strong & ~possible).any()
        found += int(strong.sum())
        dropped += int((~possible).sum())
    assert found and dropped  # both tests had something to decide


def _jump_everywhere(
    tracker: Tracker, sel: np.ndarray, share: np.ndarray, bucket: int
) -> np.ndarray:
    """The jump test written out over every phrase (what _jump narrows step by step)."""
    t, cfg = tracker.table, tracker.cfg
    strength = np.zeros(sel.size)
    for m, e in (
        (t.wsum[sel].astype(np.float64), share * t.window_volume(bucket)),
        (t.fast_count[sel].astype(np.float64), share * t.fast_volume),
        (t.slow_count[sel].astype(np.float64), share * t.slow_volume),
    ):
        ratio = (m + 1.0) / (e + 1.0)
        z = 2.0 * (np.sqrt(m + 0.375) - np.sqrt(e + 0.375))
        ok = (m >= cfg.promote_mentions) & (ratio >= cfg.promote_ratio) & (z >= cfg.promote_z)
        strength = np.maximum(strength, np.where(ok, ratio, 0.0))
    return strength


def test_jump_strengths_are_those_of_the_test_over_every_phrase() -> None:
    jumped = 0
    for tracker, bucket in _chatter(11, 300, lambda step: (step // 60) * 11, lambda step: 3000):
        table = tracker.table
        live = table.live
        for share in (table.share(live, bucket), np.full(live.size, CFG.prior_share)):
            got = tracker._jump(live, share, bucket)
            assert np.array_equal(got, _jump_everywhere(tracker, live, share, bucket))
            jumped += int((got > 0).sum())
    assert jumped
