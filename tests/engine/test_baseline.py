"""Share baselines: whole-stream volume changes move every phrase's expectation together."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine.baseline import PhraseTable
from bot.engine.config import EngineConfig
from bot.engine.tokens import mix64


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
    assert abs(share - 0.02) < 0.005  # the hits before admission are credited to one bucket
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
    # Idle weeks forget nothing: memory fades with posts (and with time only while posts come).
    assert table.slow_volume > 0.99 * 150


def test_a_sparse_stream_remembers_as_many_posts_as_a_busy_one() -> None:
    """Ten days of a 15-post/hour stream: a day-long burst is judged against those days."""
    cfg = EngineConfig()
    table = PhraseTable(cfg)
    bucket = 10_000
    for _ in range(288 * 10):  # ten days, one post per bucket, the phrase in 1 post in 1000
        _feed(table, bucket, 1, 1 if bucket % 1000 == 0 else 0)
        bucket += 1
    for _ in range(288):  # a day in which every 10th post carries it
        _feed(table, bucket, 1, 1 if bucket % 10 == 0 else 0)
        bucket += 1
    # By posts, the burst day is a tenth of what the table remembers, not the whole of it
    # (a 12-hour memory would hold little but the burst: a share near 0.1).
    key = np.array([12345], dtype=np.uint64)
    assert float(table.overall(key)[0]) < 0.02
    slot = int(table.index.lookup(key)[0])
    assert float(table.ewma[slot] / table.weight[slot]) < 0.02


def test_one_mention_in_a_quiet_hour_is_no_daily_habit() -> None:
    """On a sparse stream an hour holds a few posts: one mention in it is chance, not habit."""
    table = PhraseTable(EngineConfig())
    bucket = 12 * 24 * 1000  # midnight
    admitted, next_midnight = bucket + 12 * 5, bucket + 12 * 24
    # A day and six hours, 4 posts a bucket: the ring (4 hours) holds the hour after
    # midnight until then, since a sparse stream's buckets teach a window of posts late.
    for b in range(bucket, bucket + 12 * 30):
        hits = 3 if b == admitted else 1 if b == next_midnight + 3 else 0
        _feed(table, b, 4, hits)  # a slot at 05:00, then one mention after midnight
    slot = int(table.index.lookup(np.array([12345], dtype=np.uint64))[0])
    assert slot >= 0 and table.profile_days[slot, 0] == 1
    assert float(table.profile[slot, 0]) == 0.0
    busy = PhraseTable(EngineConfig())
    for b in range(bucket, bucket + 12 * 26):  # a daily show: 30 of 100 posts at midnight
        _feed(busy, b, 100, 30 if b < bucket + 12 else 0)
    slot = busy.index.lookup(np.array([12345], dtype=np.uint64))
    assert float(busy.profile[slot, 0][0]) > 0.2


def test_a_sparse_stream_learns_a_window_of_posts_late() -> None:
    """A story on a sparse stream is not its own baseline while its window is being tested.

    At 20 posts a bucket an hour is 240 posts: the buckets of a story's first hours wait for
    ``window_posts`` later posts before they teach.
    """
    table = PhraseTable(EngineConfig())
    bucket = 10_000
    for _ in range(288 * 3):  # three quiet days of 20 posts a bucket, the phrase in 1 in 400
        _feed(table, bucket, 20, 1 if bucket % 20 == 0 else 0)
        bucket += 1
    slot = table.index.lookup(np.array([12345], dtype=np.uint64))
    assert slot[0] >= 0
    before = float(table.share(slot, bucket - 1)[0])
    for _ in range(36):  # a three-hour story: one post in five carries it (720 posts)
        _feed(table, bucket, 20, 4)
        bucket += 1
    during = float(table.share(slot, bucket - 1)[0])
    assert during < before * 1.5  # two hours out of the window, but under 1,000 posts ago
    for _ in range(48):  # four more hours: its buckets have taught by now
        _feed(table, bucket, 20, 4)
        bucket += 1
    assert float(table.share(slot, bucket - 1)[0]) > before * 3


def test_a_busy_stream_learns_as_each_bucket_leaves_the_window() -> None:
    """At 1,000 posts a bucket the posts lag never binds: a bucket teaches on leaving."""
    table = PhraseTable(EngineConfig())
    folds: list[int] = []
    original = table._fold
    table._fold = lambda b: (folds.append(b), original(b))  # type: ignore[method-assign]
    for b in range(1000, 1030):
        _feed(table, b, 1000, 5)
    assert folds == list(range(1000, 1030 - 12))


def test_eviction_clears_the_daily_habit_of_slots_that_have_one() -> None:
    """A slot that lived through an hour's close has profile rows; freed, they are zero again
    (and a restored table knows which slots have them)."""
    table = PhraseTable(EngineConfig())
    bucket = 12 * 24 * 1000
    for b in range(bucket, bucket + 12 * 3):  # three hours of a steady phrase
        _feed(table, b, 100, 30)
    slot = int(table.index.lookup(np.array([12345], dtype=np.uint64))[0])
    assert table.hourly[slot] and table.profile_days[slot].any()
    restored = PhraseTable.from_state(table.cfg, table.to_state())
    assert restored.hourly.tolist() == table.hourly.tolist()
    late = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)
    table.admit(late)  # admitted after the close: no rows to clear
    fresh = table.index.lookup(late)
    assert not table.hourly[fresh].any()
    table.release(np.array([slot, *fresh.tolist()]))
    assert not table.profile_days[slot].any() and not table.profile[slot].any()
    assert not table.hourly.any()
    assert table.free[-1] == min(slot, *fresh.tolist())  # the lowest freed slot is taken next


def test_a_phrase_of_a_script_new_to_the_stream_has_no_past_of_zeros() -> None:
    """A day of English, then a Japanese source: its words' past is unknown, not zero.

    An English phrase admitted then starts with the whole memory's weight behind a share of
    0 (it was not used); a Japanese one starts with almost none, so what it does from now on
    is its baseline at once.
    """
    table = PhraseTable(EngineConfig())
    bucket = 10_000
    english = np.zeros(100, dtype=bool)
    for _ in range(288):  # a day of English posts
        table.advance(bucket)
        table.add_posts(np.full(100, bucket, dtype=np.int64), english)
        bucket += 1
    mixed = np.arange(100) < 10  # a Japanese source joins: a tenth of the posts
    table.advance(bucket)
    table.add_posts(np.full(100, bucket, dtype=np.int64), mixed)
    table.advance(bucket + 1)
    # English was written all along: its presence is the whole memory's fullness (a third
    # after 28,800 posts, the memory's half-life being 50,000 posts).
    assert abs(table.presence[0] - table.history) < 0.01 and table.history > 0.3
    assert table.presence[1] < 0.01  # one bucket of it
    keys = np.array([111, 222], dtype=np.uint64)
    table.admit(keys, cjk=np.array([False, True]))
    slots = table.index.lookup(keys)
    weights = table.weight[slots]
    assert weights[0] > 0.3 and weights[1] < 0.01


def _churn(table: PhraseTable, seed: int, rounds: int) -> None:
    """Random phrases from a small pool, bursts and gaps: admissions, evictions, restarts."""
    rng = np.random.default_rng(seed)
    bucket = 50_000
    for r in range(rounds):
        bucket += int(rng.choice([1, 1, 1, 3, 60]))  # gaps past the 48-bucket ring too
        n = int(rng.integers(20, 400))
        phrases = mix64(rng.integers(1, 600, n).astype(np.uint64))
        table.advance(bucket)
        table.add_posts(np.full(n // 4 + 1, bucket, dtype=np.int64))
        table.add(phrases, np.full(n, bucket, dtype=np.int64))
        if r % 7 == 3:
            table.take_touched()


def _assert_live_is_the_slots_in_use(table: PhraseTable) -> None:
    assert table.live.tolist() == np.flatnonzero(table.keys != 0).tolist()
    assert table.live.size == table.used


@pytest.mark.parametrize("capacity", [256, 8192])  # kept in step while few, else rebuilt
def test_the_live_slot_list_follows_admission_eviction_release_and_restore(capacity: int) -> None:
    table = PhraseTable(EngineConfig(capacity=capacity, admit_count=2.0))
    evicted = False
    for seed in range(6):
        _churn(table, seed, 40)
        evicted |= not table._clean_free
        _assert_live_is_the_slots_in_use(table)
        if seed == 2:
            table.release(table.live[::3].copy())
            _assert_live_is_the_slots_in_use(table)
        table = PhraseTable.from_state(table.cfg, table.to_state())
        _assert_live_is_the_slots_in_use(table)
    assert evicted == (capacity == 256)  # the small table filled up and made room


def test_passes_over_live_slots_match_passes_over_every_slot() -> None:
    """Per-bucket work over the slots in use leaves every array as a pass over all would."""
    cfg = EngineConfig(capacity=32768, admit_count=2.0)
    sparse, dense = PhraseTable(cfg), PhraseTable(cfg)
    dense._few = lambda fraction: False  # type: ignore[method-assign]
    for table in (sparse, dense):
        _churn(table, 11, 300)
    assert sparse._few(32) and sparse.used > 0  # few slots in use, none ever evicted
    for name in PhraseTable.STATE_ARRAYS:
        assert np.array_equal(getattr(sparse, name), getattr(dense, name)), name
    assert sparse.take_touched().tolist() == dense.take_touched().tolist()


def test_a_restored_table_knows_whether_free_slots_hold_counts() -> None:
    table = PhraseTable(EngineConfig(capacity=256))
    _churn(table, 3, 5)
    assert PhraseTable.from_state(table.cfg, table.to_state())._clean_free
    state = table.to_state()
    free = int(np.flatnonzero(table.keys == 0)[0])
    state["touched"] = state["touched"].copy()
    state["touched"][free] = True  # a count that landed in a slot freed in the same batch
    assert not PhraseTable.from_state(table.cfg, state)._clean_free
