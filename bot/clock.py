"""Which post times to believe. A post's time is whatever its client wrote; the engine's clock
follows the newest post, so one post dated 2099 would empty every window and one dated 1999
would end the warm-up at once. Pure code: no I/O, no wall-clock reads (callers pass times in).

Two rules:
- Live: a post more than LIVE_AHEAD seconds ahead of a trusted clock (the wall clock, or the
  relay's own receive time such as Jetstream's `time_us`) is skewed.
- Replays and backtests: a post is judged against the median of its neighbourhood in the
  stream (RADIUS posts either side, itself included). A median keeps real jumps: a sparse
  stream that moves on by a year moves its median with it, while one stray time in either
  direction is outvoted. Only the first and last RADIUS posts of a stream, which lack a full
  neighbourhood, are judged against fewer neighbours; the tolerance also scales with how far
  apart the neighbours themselves are, so a stream with posts months apart keeps its edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

import numpy as np

LIVE_AHEAD = 300.0  # seconds a live post may claim to be ahead of the trusted clock
STREAM_AHEAD = 3600.0  # seconds a replayed post may sit ahead of its neighbourhood's median
STREAM_BEHIND = 6 * 3600.0  # ... and behind it (the engine accepts a few hours of disorder)
RADIUS = 2  # neighbours either side
SPREAD_FACTOR = 8.0  # a post is a stray only when this many times further out than its
# neighbours are spread apart (so sparse streams are judged on their own scale)

T = TypeVar("T")


class Skew(StrEnum):
    AHEAD = "ahead"
    BEHIND = "behind"


def live_skewed(ts: float, trusted_now: float, ahead: float = LIVE_AHEAD) -> bool:
    """True when a live post's time lies more than `ahead` seconds past `trusted_now`."""
    return ts - trusted_now > ahead


def stream_outliers(
    ts: np.ndarray,
    *,
    ahead: float = STREAM_AHEAD,
    behind: float = STREAM_BEHIND,
    pad_left: bool = True,
    pad_right: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (ahead, behind) for the posts of `ts` judged by their neighbourhood.

    With `pad_left`/`pad_right` false, the first/last RADIUS entries serve as context only and
    the masks cover the entries between them.
    """
    values = np.asarray(ts, dtype=np.float64)
    if values.size > 1 and np.abs(np.diff(values)).max() * 2 * RADIUS <= min(ahead, behind):
        # The usual block: no two neighbours are far apart, so no post of a neighbourhood
        # (2 * RADIUS steps wide) can sit further from its median than the tolerance.
        size = max(0, values.size - RADIUS * ((not pad_left) + (not pad_right)))
        return np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    return _judged(values, ahead, behind, pad_left, pad_right)


def _judged(
    values: np.ndarray, ahead: float, behind: float, pad_left: bool, pad_right: bool
) -> tuple[np.ndarray, np.ndarray]:
    """`stream_outliers` computed neighbourhood by neighbourhood."""
    width = 2 * RADIUS + 1
    pad = np.full(RADIUS, np.nan)
    padded = np.concatenate((pad if pad_left else pad[:0], values, pad if pad_right else pad[:0]))
    if padded.size < width:
        empty = np.zeros(max(0, padded.size - 2 * RADIUS), dtype=bool)
        return empty, empty.copy()
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    centre = windows[:, RADIUS]
    ordered = np.sort(windows, axis=1)  # NaN (missing neighbours) sorts last
    k = width - np.isnan(windows).sum(axis=1)
    rows = np.arange(windows.shape[0])
    low = ordered[rows, (k - 1) // 2]
    high = ordered[rows, k // 2]
    # How tightly the neighbours sit: the smallest gap between two of them. A stream whose
    # posts are months apart may have its first or last post months from the median.
    others = np.sort(np.delete(windows, RADIUS, axis=1), axis=1)
    gaps = np.diff(others, axis=1)
    scale = np.where(np.isnan(gaps), np.inf, gaps).min(axis=1) * SPREAD_FACTOR
    # An even neighbourhood has two middles: judge against the one kinder to the post.
    return (
        centre - high > np.maximum(ahead, scale),
        low - centre > np.maximum(behind, scale),
    )


@dataclass(slots=True)
class Admitted(Generic[T]):
    """What a watermark let through, in stream order, and what it refused."""

    items: list[T] = field(default_factory=list)
    ts: np.ndarray = field(default_factory=lambda: np.empty(0))
    ahead: int = 0
    behind: int = 0

    @property
    def skewed(self) -> int:
        return self.ahead + self.behind


class StreamWatermark(Generic[T]):
    """The neighbourhood rule over a stream fed in pieces; it holds back the last RADIUS posts
    until their right-hand neighbours arrive (or `flush()` says the stream has ended)."""

    def __init__(self, *, ahead: float = STREAM_AHEAD, behind: float = STREAM_BEHIND) -> None:
        self.ahead = ahead
        self.behind = behind
        self._left = np.empty(0)  # times of the RADIUS posts before the held ones (decided)
        self._held: list[T] = []
        self._held_ts = np.empty(0)
        self.mark: float | None = None  # newest admitted time
        self.admitted = 0
        self.refused = 0

    @property
    def pending(self) -> int:
        return len(self._held)

    def feed(self, items: Sequence[T], ts: Sequence[float] | np.ndarray) -> Admitted[T]:
        """Add posts (with their epoch times) in stream order; returns those now decided."""
        times = np.asarray(ts, dtype=np.float64)
        if len(items) != times.size:
            raise ValueError("items and ts differ in length")
        held = [*self._held, *items]
        held_ts = np.concatenate((self._held_ts, times))
        if held_ts.size <= RADIUS:
            self._held, self._held_ts = held, held_ts
            return Admitted()
        decide = held_ts.size - RADIUS
        return self._decide(held, held_ts, decide, pad_right=False)

    def flush(self) -> Admitted[T]:
        """The stream has ended: decide the held posts with the neighbours they have."""
        if not self._held:
            return Admitted()
        return self._decide(self._held, self._held_ts, len(self._held), pad_right=True)

    def _decide(
        self, held: list[T], held_ts: np.ndarray, decide: int, *, pad_right: bool
    ) -> Admitted[T]:
        start = self._left.size
        context = np.concatenate((self._left, held_ts))
        pad_left = start < RADIUS  # the start of the stream: nothing before it
        ahead, behind = stream_outliers(
            context,
            ahead=self.ahead,
            behind=self.behind,
            pad_left=pad_left,
            pad_right=pad_right,
        )
        # Without left padding the masks start at context[RADIUS]; pick the entries decided now.
        lo = start if pad_left else start - RADIUS
        ahead, behind = ahead[lo : lo + decide], behind[lo : lo + decide]
        keep = ~(ahead | behind)
        out_ts = held_ts[:decide][keep]
        if keep.all():
            items = held[:decide]
        else:
            items = [item for item, ok in zip(held[:decide], keep.tolist(), strict=True) if ok]
        self._left = context[: start + decide][-RADIUS:]
        self._held, self._held_ts = held[decide:], held_ts[decide:]
        if out_ts.size:
            newest = float(out_ts.max())
            self.mark = newest if self.mark is None else max(self.mark, newest)
        result = Admitted(items, out_ts, int(ahead.sum()), int(behind.sum()))
        self.admitted += len(items)
        self.refused += result.skewed
        return result
