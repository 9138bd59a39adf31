"""The sequential adoption test: volume-normalised, any time scale, and it notices a stop."""

from __future__ import annotations

from bot.engine.evidence import NO_EVIDENCE, Evidence, acceleration, poisson_llr, scan, voiced


def _scan(times: list[float], marks: list[int], now: float, now_mark: int, share: float):
    return scan(
        times,
        [1.0] * len(times),
        marks,
        now_ts=now,
        now_mark=now_mark,
        share=share,
        tolerance=2.0,
        max_seconds=48 * 3600,
    )


def test_poisson_llr_is_zero_at_or_below_expectation_and_grows_with_excess() -> None:
    assert poisson_llr(3, 3) == 0.0 and poisson_llr(1, 5) == 0.0
    assert 0 < poisson_llr(6, 3) < poisson_llr(12, 3) < poisson_llr(24, 3)


def test_ten_adopters_in_few_posts_is_strong_evidence_for_a_rare_phrase() -> None:
    ev = _scan([60.0 * i for i in range(10)], [100 * i for i in range(10)], 600.0, 1000, 1e-4)
    assert ev.adopters == 10 and ev.distinct == 10
    assert ev.expected < 1 and ev.llr > 20
    assert ev.window_seconds == 600.0 and ev.window_posts == 1000


def test_a_common_phrase_at_its_usual_share_shows_nothing() -> None:
    # 10 adoptions over 1,000 posts is exactly a 1% share.
    ev = _scan([60.0 * i for i in range(10)], [100 * i for i in range(10)], 600.0, 1000, 0.01)
    assert ev == NO_EVIDENCE


def test_evidence_follows_posts_not_minutes() -> None:
    """The same adoptions over the same posts weigh the same in 10 minutes or 10 hours."""
    marks = [100 * i for i in range(10)]
    fast = _scan([60.0 * i for i in range(10)], marks, 600.0, 1000, 1e-4)
    slow = _scan([3600.0 * i for i in range(10)], marks, 36000.0, 1000, 1e-4)
    assert abs(fast.llr - slow.llr) < 1e-9 and fast.adopters == slow.adopters


def test_a_volume_jump_without_more_adopters_weakens_the_evidence() -> None:
    times = [60.0 * i for i in range(10)]
    quiet = _scan(times, [10 * i for i in range(10)], 600.0, 100, 1e-3)
    busy = _scan(times, [1000 * i for i in range(10)], 600.0, 10_000, 1e-3)
    assert quiet.llr > 0 and busy.llr < quiet.llr


def test_silence_after_the_burst_wears_the_evidence_down() -> None:
    times = [60.0 * i for i in range(30)]
    marks = [10 * i for i in range(30)]
    during = _scan(times, marks, 1800.0, 300, 1e-4)
    after = _scan(times, marks, 1800.0 + 3 * 3600, 300 + 1800, 1e-4)
    assert during.llr > 0 and after.llr < during.llr / 2


def test_acceleration_reads_the_newest_quarter() -> None:
    steady = _scan([60.0 * i for i in range(40)], [10 * i for i in range(40)], 2400.0, 400, 1e-4)
    # Adoptions ever denser: t = 2400 * sqrt(i / 40).
    rising = _scan(
        [2400.0 * (i / 40) ** 0.5 for i in range(40)],
        [10 * i for i in range(40)],
        2400.0,
        400,
        1e-4,
    )
    assert acceleration(steady) < 0.1 < 0.3 < acceleration(rising)


def test_the_array_path_agrees_with_the_small_path() -> None:
    times = [30.0 * i for i in range(200)]
    marks = [7 * i for i in range(200)]
    big = _scan(times, marks, 6000.0, 1400, 1e-3)
    small = _scan(times[-40:], marks[-40:], 6000.0, 1400, 1e-3)
    assert big.llr >= small.llr > 0
    assert abs(big.window_posts - (1400 - marks[200 - big.distinct])) == 0


def test_adopters_count_no_more_than_the_words_they_brought_allow() -> None:
    """A template ring's first posts each look new; seven words between them are 3.5 voices."""
    ev = Evidence(14.0, 6.1, 13, 0.3, 1200.0, 900, 2.0)
    capped = voiced(ev, words_said=7)
    assert capped.adopters == 3.5
    assert (capped.llr, capped.distinct, capped.expected) == (ev.llr, ev.distinct, ev.expected)
    assert voiced(ev, words_said=40) is ev  # people who each say something of their own
