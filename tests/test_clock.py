"""Stream-time plausibility: one wild clock is outvoted, real jumps and sparse streams are kept."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import (
    LIVE_AHEAD,
    STREAM_AHEAD,
    STREAM_BEHIND,
    StreamWatermark,
    _judged,
    live_skewed,
    stream_outliers,
)

MINUTE = 60.0
YEAR = 365 * 86400.0
START = 1_370_000_000.0  # 2013


def run(ts: list[float], split: int | None = None) -> tuple[list[int], int, int]:
    mark: StreamWatermark[int] = StreamWatermark()
    kept: list[int] = []
    ahead = behind = 0
    step = split or max(1, len(ts))
    for i in range(0, len(ts), step):
        got = mark.feed(list(range(i, min(len(ts), i + step))), ts[i : i + step])
        kept += got.items
        ahead, behind = ahead + got.ahead, behind + got.behind
    got = mark.flush()
    return kept + got.items, ahead + got.ahead, behind + got.behind


def test_one_post_from_2099_or_1999_is_refused_anywhere() -> None:
    ts = [START + MINUTE * i for i in range(40)]
    ts[0] = START + 86 * YEAR  # the very first post
    ts[17] = START + 86 * YEAR
    ts[25] = START - 14 * YEAR
    ts[39] = START + 86 * YEAR  # the very last post
    kept, ahead, behind = run(ts)
    assert set(range(40)) - set(kept) == {0, 17, 25, 39}
    assert (ahead, behind) == (3, 1)


def test_two_adjacent_strays_are_still_outvoted() -> None:
    ts = [START + MINUTE * i for i in range(20)]
    ts[8] = ts[9] = START + 86 * YEAR
    kept, ahead, _ = run(ts)
    assert set(range(20)) - set(kept) == {8, 9} and ahead == 2


def test_sparse_stream_spanning_years_keeps_every_post() -> None:
    ts = [START + YEAR * i / 3 for i in range(12)]  # four months apart
    kept, ahead, behind = run(ts)
    assert kept == list(range(12)) and ahead == behind == 0
    ts[5], ts[11] = START - 14 * YEAR, START + 86 * YEAR  # strays still stand out
    kept, ahead, behind = run(ts)
    assert set(range(12)) - set(kept) == {5, 11} and ahead == behind == 1


def test_a_real_jump_moves_the_mark() -> None:
    ts = [START + MINUTE * i for i in range(10)] + [START + YEAR + MINUTE * i for i in range(10)]
    mark: StreamWatermark[int] = StreamWatermark()
    got = mark.feed(list(range(20)), ts)
    rest = mark.flush()
    assert got.items + rest.items == list(range(20))
    assert mark.mark == ts[-1]


def test_small_disorder_is_not_skew() -> None:
    rng = np.random.default_rng(3)
    ts = (START + np.arange(500) * 10 + rng.uniform(-1800, 1800, 500)).tolist()
    kept, _, _ = run(ts)
    assert len(kept) == 500


@settings(max_examples=150)
@given(
    st.lists(st.floats(min_value=0, max_value=4e9, allow_nan=False) | st.just(START), max_size=40),
    st.integers(min_value=1, max_value=12),
)
def test_how_a_stream_is_split_never_changes_the_verdict(ts: list[float], split: int) -> None:
    whole = run(ts)
    assert run(ts, split) == whole
    kept, ahead, behind = whole
    assert len(kept) + ahead + behind == len(ts) and kept == sorted(kept)


def test_live_rule() -> None:
    assert not live_skewed(START + LIVE_AHEAD, START)
    assert live_skewed(START + LIVE_AHEAD + 1, START)
    assert not live_skewed(START - YEAR, START)  # old posts are the engine's business


@settings(max_examples=300)
@given(
    st.lists(
        st.floats(min_value=-900, max_value=900) | st.floats(min_value=-4e4, max_value=4e4),
        max_size=30,
    ),
    st.booleans(),
    st.booleans(),
)
def test_a_block_of_close_neighbours_is_judged_like_any_other(
    steps: list[float], pad_left: bool, pad_right: bool
) -> None:
    # Small steps take the shortcut (nothing can be far from its neighbourhood); a large
    # step anywhere sends the block through the full rule. Both must agree with the rule.
    ts = START + np.cumsum(steps)
    got = stream_outliers(ts, pad_left=pad_left, pad_right=pad_right)
    full = _judged(ts, STREAM_AHEAD, STREAM_BEHIND, pad_left, pad_right)
    assert all(np.array_equal(a, b) for a, b in zip(got, full, strict=True))
