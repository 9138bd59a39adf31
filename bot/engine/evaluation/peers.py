"""Two naive peers the engine must beat, run on the same streams in the same process.

Both count every phrase the engine's own extractor yields (1-4-grams, hashtags, cashtags),
once per post, in 10-minute event-time buckets, hashed into a fixed table (collisions only
inflate baselines, which makes a peer slightly more conservative). They see posts in event
order: a reconnect backlog lands at its true time, which is, if anything, in their favour.

* ``hourly``: the trailing hour's count reaches HOURLY_MIN and HOURLY_RATIO x the phrase's
  usual hourly count (an exponentially weighted mean, half-life 12 h).
* ``poisson``: the point-by-point test of Twitter/Gnip's "Trend Detection in Social Data":
  a 10-minute count whose Poisson tail probability under the phrase's usual rate is below
  POISSON_ALPHA.

Each phrase alerts at most once per COOLDOWN; nothing alerts during the first WARMUP.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.engine.evaluation.scorer import Alert
from bot.engine.text import extract, phrase_text
from bot.engine.vocab import Vocab
from bot.posts import Post

BUCKET_SECONDS = 600
TABLE_BITS = 22
HALF_LIFE_BUCKETS = 72.0  # 12 h
WARMUP = timedelta(hours=2)
COOLDOWN = timedelta(hours=24)
HOURLY_MIN = 20
HOURLY_RATIO = 3.0
POISSON_MIN = 5
POISSON_ALPHA = 1e-6
RATE_FLOOR = 0.05  # expected mentions per bucket of a phrase never seen

_MASK = np.uint64((1 << TABLE_BITS) - 1)
_PAIR_MULT = np.uint64(0x9E3779B97F4A7C15)


def _buckets(posts: Sequence[Post]) -> Iterator[tuple[int, list[Post]]]:
    ordered = sorted(posts, key=lambda p: p.created_at)
    batch: list[Post] = []
    current: int | None = None
    for post in ordered:
        slot = int(post.created_at.timestamp()) // BUCKET_SECONDS
        if current is not None and slot != current:
            yield current, batch
            batch = []
        current = slot
        batch.append(post)
    if current is not None:
        yield current, batch


def _log_tail(x: int, lam: float) -> float:
    """log P(X >= x) for X ~ Poisson(lam), x > lam (pmf times a geometric bound, tight enough)."""
    log_pmf = x * math.log(lam) - lam - math.lgamma(x + 1)
    ratio = lam / (x + 1)
    return log_pmf - math.log1p(-ratio) if ratio < 1 else 0.0


Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _run(posts: Sequence[Post], fires: Rule) -> list[Alert]:
    """Shared counting loop; ``fires(counts, hour_counts, rate)`` picks phrases to alert."""
    vocab = Vocab()
    rate = np.zeros(1 << TABLE_BITS, dtype=np.float32)  # mean mentions per bucket
    hour = np.zeros(1 << TABLE_BITS, dtype=np.float32)  # trailing 6 buckets
    window: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
    decay = np.float32(0.5 ** (1.0 / HALF_LIFE_BUCKETS))
    last_alert: dict[int, datetime] = {}
    alerts: list[Alert] = []
    start: datetime | None = None
    prev: int | None = None
    for bucket, batch in _buckets(posts):
        moment = datetime.fromtimestamp((bucket + 1) * BUCKET_SECONDS, tz=UTC)
        start = start or batch[0].created_at
        if prev is not None and bucket - prev > 1:  # idle buckets: the mean decays toward 0
            rate *= decay ** (bucket - prev - 1)
        prev = bucket
        while window and window[0][0] <= bucket - 6:
            _, old_slots, old_counts = window.popleft()
            np.subtract.at(hour, old_slots, old_counts)
        ext = extract([p.text for p in batch], vocab)
        if ext.phrase.size == 0:
            rate *= decay
            continue
        pair = ext.phrase + ext.post.astype(np.uint64) * _PAIR_MULT
        _, first = np.unique(pair, return_index=True)  # each phrase once per post
        keys, rep, counts = np.unique(ext.phrase[first], return_index=True, return_counts=True)
        rep_occ = first[rep]
        slots = (keys & _MASK).astype(np.int64)
        fcounts = counts.astype(np.float32)
        np.add.at(hour, slots, fcounts)
        window.append((bucket, slots, fcounts))
        if moment - start >= WARMUP:
            for i in np.flatnonzero(fires(counts, hour[slots], rate[slots])).tolist():
                key = int(keys[i])
                seen = last_alert.get(key)
                if seen is not None and moment - seen < COOLDOWN:
                    continue
                last_alert[key] = moment
                occ = int(rep_occ[i])
                canonical, surface = phrase_text(
                    ext, vocab, int(ext.start[occ]), int(ext.length[occ])
                )
                alerts.append(Alert(surface, (canonical,), None, moment))
        rate *= decay
        np.add.at(rate, slots, fcounts * (1 - decay))
    return alerts


def _hourly(counts: np.ndarray, hour: np.ndarray, rate: np.ndarray) -> np.ndarray:
    usual = np.maximum(rate * 6.0, 1.0)
    return (hour >= HOURLY_MIN) & (hour >= HOURLY_RATIO * usual)


def _poisson(counts: np.ndarray, hour: np.ndarray, rate: np.ndarray) -> np.ndarray:
    lam = np.maximum(rate, RATE_FLOOR)
    out = (counts >= POISSON_MIN) & (counts > 3.0 * lam)
    for i in np.flatnonzero(out).tolist():
        out[i] = _log_tail(int(counts[i]), float(lam[i])) < math.log(POISSON_ALPHA)
    return out


def hourly_threshold(posts: Sequence[Post]) -> list[Alert]:
    """Naive hourly count threshold against the phrase's usual hourly count."""
    return _run(posts, _hourly)


def poisson_buckets(posts: Sequence[Post]) -> list[Alert]:
    """Point-by-point Poisson test on 10-minute buckets."""
    return _run(posts, _poisson)


PEERS: dict[str, Callable[[Sequence[Post]], list[Alert]]] = {
    "hourly-count": hourly_threshold,
    "poisson-10min": poisson_buckets,
}
