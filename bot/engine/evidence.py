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
    span = max(now_ts - float(times[best]), 0.0)
    quarter = now_ts - span / 4.0
    recent = float(weights[best:][times[best:] >= quarter].sum())
    # Silence since the last adoption is evidence that the spread stopped: had it gone on at
    # the window's own rate, that many adoptions were due (a Poisson zero costs that many nats).
    active = max(float(times[-1]) - float(times[best]), 60.0)
    silence = max(now_ts - float(times[-1]), 0.0)
    stopped = float(a[best]) / active * silence
    return Evidence(
        llr=max(0.0, float(llr[best]) - stopped),
        adopters=float(a[best]),
        distinct=int(n - best),
        expected=float(expected[best]),
        window_seconds=span,
        window_posts=int(posts[best]),
        recent=recent,
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
    adopters = sum(weights[best:])
    span = max(now_ts - times[best], 0.0)
    quarter = now_ts - span / 4.0
    recent = sum(w for t, w in zip(times[best:], weights[best:], strict=True) if t >= quarter)
    active = max(times[-1] - times[best], 60.0)
    stopped = adopters / active * max(now_ts - times[-1], 0.0)
    posts = max(now_mark - marks[best], 1)
    return Evidence(
        llr=max(0.0, best_llr - stopped),
        adopters=adopters,
        distinct=len(times) - best,
        expected=share * posts,
        window_seconds=span,
        window_posts=posts,
        recent=recent,
    )


def acceleration(ev: Evidence) -> float:
    """0..1: how much faster the newest quarter of the best window runs than the rest."""
    if ev.adopters <= 0.0:
        return 0.0
    older = max(ev.adopters - ev.recent, 0.0) / 3.0
    return min(1.0, max(0.0, (ev.recent - older) / (older + 1.0) / 2.0))


def slowed(ev: Evidence) -> bool:
    """The newest quarter of the best window runs at under half the window's average rate."""
    return ev.adopters > 0.0 and ev.recent < ev.adopters / 8.0
