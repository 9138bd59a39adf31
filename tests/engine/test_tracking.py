"""Promotion: the prior-share pre-filter never drops a phrase the full test would track."""

from __future__ import annotations

import numpy as np

from bot.engine.baseline import PhraseTable
from bot.engine.config import EngineConfig
from bot.engine.seeding import Leaders
from bot.engine.tokens import mix64
from bot.engine.tracking import Tracker


def test_no_phrase_jumps_against_its_share_that_does_not_jump_against_the_prior() -> None:
    cfg = EngineConfig(capacity=4096)
    table = PhraseTable(cfg)
    tracker = Tracker(cfg, table, Leaders(cfg))
    rng = np.random.default_rng(5)
    bucket = 40_000
    found = dropped = 0
    for step in range(600):  # a Zipf chatter whose mix shifts, so some phrases jump
        bucket += 1
        n = int(rng.integers(200, 600))
        pool = 3000 if step < 400 else 3600
        words = np.minimum(rng.zipf(1.2, n), pool) + (step // 150) * 7
        table.advance(bucket)
        table.add_posts(np.full(n // 3, bucket, dtype=np.int64))
        table.add(mix64(words.astype(np.uint64)), np.full(n, bucket, dtype=np.int64))
        live = table.live
        share = table.share(live, bucket)
        assert share.dtype == np.float32  # what the floor below assumes
        assert (share >= np.float32(cfg.prior_share)).all()
        floor = np.full(live.size, cfg.prior_share, dtype=np.float32)
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
    cfg = EngineConfig(capacity=4096)
    table = PhraseTable(cfg)
    tracker = Tracker(cfg, table, Leaders(cfg))
    rng = np.random.default_rng(11)
    bucket = 40_000
    jumped = 0
    for step in range(300):
        bucket += 1
        n = int(rng.integers(200, 600))
        words = np.minimum(rng.zipf(1.2, n), 3000) + (step // 60) * 11
        table.advance(bucket)
        table.add_posts(np.full(n // 3, bucket, dtype=np.int64))
        table.add(mix64(words.astype(np.uint64)), np.full(n, bucket, dtype=np.int64))
        live = table.live
        for share in (table.share(live, bucket), np.full(live.size, cfg.prior_share)):
            got = tracker._jump(live, share, bucket)
            assert np.array_equal(got, _jump_everywhere(tracker, live, share, bucket))
            jumped += int((got > 0).sum())
    assert jumped
