"""The sequential test behind every alert: is a phrase being adopted faster than its share says?

Each tracked phrase keeps its *adoptions*: the moments a new, independent author first used it,
stamped with the stream's cumulative post count. Under the null hypothesis a phrase is used at
its baseline share ``s`` of all posts, so over the posts ``V`` since any past adoption we expect
``s * V`` adoptions. For every window that ends now and starts at an adoption, the Poisson
log-likelihood ratio of "rate >= ``tolerance`` x baseline" against the baseline is

    LLR = A * ln(A / (tolerance * e)) - (A - tolerance * e)      (A > tolerance * e)

where ``A`` is the (near-duplicate-discounted) adoptions in the window and ``e`` their
expectation. The largest LLR over all windows is a scan statistic (a Poisson CUSUM whose
window the data chooses), so one rule works for a story emerging in ten minutes on Bluesky
and for one building over a day on Hacker News; measuring the window in posts instead of
minutes makes it blind to volume swings (reconnect backlogs, sampling changes, quiet nights)
and lets empty stream time cost nothing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Evidence:
    """The best window of the scan: how much, how fast, against what expectation."""

    llr: float  # log-likelihood ratio of the best window (nats)
    adopters: float  # independent adoptions in that window (near-duplicates discounted)
    distinct: int  # distinct new authors in that window
    expected: float  # adoptions the baseline share predicts over the window's posts
    window_seconds: float  # stream time the window spans
    window_posts: int  # stream posts the window spans
    recent: float  # adoptions in the newest quarter of the window

    @property
    def ratio(self) -> float:
        return (self.adopters + 1.0) / (self.expected + 1.0)


NO_EVIDENCE = Evidence(0.0, 0.0, 0, 0.0, 0.0, 0, 0.0)
WORDS_PER_ADOPTER = 2.0  # distinct words of their own an independent adopter brings, at least
SMALL = 48  # adoptions up to which the scan runs in plain Python


def poisson_llr(observed: float, expected: float) -> float:
    """One-sided Poisson log-likelihood ratio (0 unless ``observed`` exceeds ``expected``)."""
    if observed <= expected or observed <= 0.0:
        return 0.0
    expected = max(expected, 1e-12)
    return observed * math.log(observed / expected) - (observed - expected)


def scan(
    times: list[float],
    weights: list[float],
    marks: list[int],
    *,
    now_ts: float,
    now_mark: int,
    share: float,
    tolerance: float,
    max_seconds: float,
) -> Evidence:
    """Best window over adoptions (oldest first); ``marks`` are cumulative post counts."""
    if not times:
        return NO_EVIDENCE
    if len(times) <= SMALL:
        return _scan_small(times, weights, marks, now_ts, now_mark, share, tolerance, max_seconds)
    return _scan_array(
        np.asarray(times, dtype=np.float64),
        np.asarray(weights, dtype=np.float64),
        np.asarray(marks, dtype=np.int64),
        now_ts,
        now_mark,
        share,
        tolerance,
        max_seconds,
    )


def _scan_array(
    times: np.ndarray,
    weights: np.ndarray,
    marks: np.ndarray,
    now_ts: float,
    now_mark: int,
    share: float,
    tolerance: float,
    max_seconds: float,
) -> Evidence:
    keep = times >= now_ts - max_seconds
    if not keep.all():
        times, weights, marks = times[keep], weights[keep], marks[keep]
    n = times.size
    if n == 0:
        return NO_EVIDENCE
    # Suffix sums: the window starting at adoption i holds adoptions i..n-1.
    adopters = np.cumsum(weights[::-1])[::-1]
    posts = np.maximum(now_mark - marks, 1).astype(np.float64)
    expected = share * posts
    null = tolerance * expected
    a = adopters.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = np.where(a > null, a * np.log(a / np.maximum(null, 1e-12)) - (a - null), 0.0)
    best = int(np.argmax(llr))
    if llr[best] <= 0.0:
        return NO_EVIDENCE
    return _window(
        times[best:].tolist(),
        weights[best:].tolist(),
        int(marks[best]),
        float(llr[best]),
        now_ts,
        now_mark,
        share,
    )


def _scan_small(
    times: list[float],
    weights: list[float],
    marks: list[int],
    now_ts: float,
    now_mark: int,
    share: float,
    tolerance: float,
    max_seconds: float,
) -> Evidence:
    """The same scan in plain Python: for a few adoptions, numpy's call overhead dominates."""
    oldest = now_ts - max_seconds
    best_llr, best = 0.0, -1
    a = 0.0
    for i in range(len(times) - 1, -1, -1):
        if times[i] < oldest:
            break
        a += weights[i]
        llr = poisson_llr(a, tolerance * share * max(now_mark - marks[i], 1))
        if llr > best_llr:
            best_llr, best = llr, i
    if best < 0:
        return NO_EVIDENCE
    return _window(times[best:], weights[best:], marks[best], best_llr, now_ts, now_mark, share)


def _window(
    times: list[float],
    weights: list[float],
    first_mark: int,
    llr: float,
    now_ts: float,
    now_mark: int,
    share: float,
) -> Evidence:
    """The best window's evidence, from its adoptions (oldest first) and its LLR."""
    adopters = sum(weights)
    span = max(now_ts - times[0], 0.0)
    quarter = now_ts - span / 4.0
    recent = sum(w for t, w in zip(times, weights, strict=True) if t >= quarter)
    # Silence since the last adoption is evidence that the spread stopped: had it gone on at
    # the window's own rate, that many adoptions were due (a Poisson zero costs that many nats).
    active = max(times[-1] - times[0], 60.0)
    stopped = adopters / active * max(now_ts - times[-1], 0.0)
    posts = max(now_mark - first_mark, 1)
    return Evidence(
        llr=max(0.0, llr - stopped),
        adopters=adopters,
        distinct=len(times),
        expected=share * posts,
        window_seconds=span,
        window_posts=posts,
        recent=recent,
    )


def voiced(ev: Evidence, words_said: int) -> Evidence:
    """The evidence with its adopters capped by what they said between them.

    Independent people taking a phrase up bring words of their own; a ring filling a template
    ("grab/get/claim the quellix giveaway now/today/fast") has said all it can say after a few
    posts, yet its first posts each look new, since nothing was said before them. So adopters
    count at most one per ``WORDS_PER_ADOPTER`` distinct words their posts carried besides
    the phrase.
    """
    cap = words_said / WORDS_PER_ADOPTER
    if ev.adopters <= cap:
        return ev
    return dataclasses.replace(ev, adopters=cap)


def acceleration(ev: Evidence) -> float:
    """0..1: how much faster the newest quarter of the best window runs than the rest."""
    if ev.adopters <= 0.0:
        return 0.0
    older = max(ev.adopters - ev.recent, 0.0) / 3.0
    return min(1.0, max(0.0, (ev.recent - older) / (older + 1.0) / 2.0))


def slowed(ev: Evidence) -> bool:
    """The newest quarter of the best window runs at under half the window's average rate."""
    return ev.adopters > 0.0 and ev.recent < ev.adopters / 8.0
