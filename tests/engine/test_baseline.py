"""Share baselines: whole-stream volume changes move every phrase's expectation together."""

from __future__ import annotations

import numpy as np

from bot.engine.baseline import PhraseTable
from bot.engine.config import EngineConfig


def _feed(table: PhraseTable, bucket: int, posts: int, phrase_hits: int) -> None:
    table.advance(bucket)
    table.add_posts(np.full(posts, bucket, dtype=np.int64))
    table.add(np.full(phrase_hits, 12345, dtype=np.uint64), np.full(phrase_hits, bucket))


def test_expected_mentions_scale_with_the_stream_not_the_phrase_history() -> None:
    cfg = EngineConfig()
    table = PhraseTable(cfg)
    for b in range(1000, 1300):  # a phrase steady at 2% of a 100-post bucket
        _feed(table, b, 100, 2)
    slot = table.index.lookup(np.array([12345], dtype=np.uint64))
    share = float(table.share(slot, 1299)[0])
    assert abs(share - 0.02) < 0.004
    quiet = float(table.expected(slot, 1299)[0])
    for b in range(1300, 1313):  # the stream jumps x10; the phrase keeps its share
        _feed(table, b, 1000, 20)
    busy = float(table.expected(slot, 1312)[0])
    assert busy > 5 * quiet
    mentions = float(table.window_counts(slot, 1312)[0])
    assert mentions < 2 * busy  # not a burst: its share did not move


def test_idle_stream_time_costs_nothing(monkeypatch) -> None:
    """A year of empty buckets folds nothing; only buckets that held posts are folded."""
    table = PhraseTable(EngineConfig())
    folds: list[int] = []
    original = table._fold
    monkeypatch.setattr(table, "_fold", lambda b: (folds.append(b), original(b)))
    bucket = 10_000
    for _ in range(50):
        _feed(table, bucket, 3, 1)
        bucket += 288 * 7  # a week apart
    assert len(folds) <= 50
    assert table.buckets_seen == 49 * 288 * 7
