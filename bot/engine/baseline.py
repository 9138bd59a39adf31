"""Exact per-phrase counts and daily-cycle-aware baselines for phrases that earned a slot.

Every phrase occurrence first hits the count-min sketch; once a phrase's recent count reaches
``admit_count`` it gets a slot here: a ring of per-bucket counts, an EWMA of its per-bucket rate
and an hour-of-day profile (per hour, an EWMA over days of the busiest bucket in that hour).
Baselines are fed with a lag of one scoring window, so a burst never hides itself.
"""

from __future__ import annotations

import math

import numpy as np

from bot.engine.config import EngineConfig
from bot.engine.sketch import CountMinSketch, SlotIndex, scatter_add

HOURS = 24


class PhraseTable:
    """Bounded table of phrases with exact recent counts and baselines (all numpy)."""

    def __init__(self, config: EngineConfig) -> None:
        self.cfg = config
        cap, ring = config.capacity, config.ring_buckets
        if config.window_buckets >= ring:
            raise ValueError("window_buckets must be smaller than ring_buckets")
        self.keys = np.zeros(cap, dtype=np.uint64)
        self.ring = np.zeros((cap, ring), dtype=np.float32)
        self.ewma = np.zeros(cap, dtype=np.float32)
        self.weight = np.zeros(cap, dtype=np.float32)
        self.profile = np.zeros((cap, HOURS), dtype=np.float32)
        self.profile_days = np.zeros((cap, HOURS), dtype=np.float32)
        self.hour_max = np.zeros(cap, dtype=np.float32)
        self.admitted = np.zeros(cap, dtype=np.int64)
        self.last_hit = np.zeros(cap, dtype=np.int64)
        self.hot = np.zeros(cap, dtype=bool)
        self.wsum = np.zeros(cap, dtype=np.float32)  # running mentions over the scoring window
        self.used = 0
        self.free: list[int] = list(range(cap - 1, -1, -1))
        self.index = SlotIndex(max(16, min(24, math.ceil(math.log2(cap)) + 4)))
        self.sketch = CountMinSketch(config.sketch_bits)
        # A slow twin remembers the long tail's longer-term rate, so a phrase admitted late
        # starts with a real baseline instead of the prior (no false "new phrase" bursts).
        self.slow = CountMinSketch(config.sketch_bits)
        self.buckets_seen = 0
        self.bucket: int | None = None  # newest bucket seen
        self.folded_hour: int | None = None  # hour-of-day of the last folded bucket
        self.alpha = 1 - 0.5 ** (config.bucket_seconds / (config.baseline_half_life_hours * 3600))
        self.sketch_decay = 0.5 ** (config.bucket_seconds / (config.sketch_half_life_minutes * 60))
        self.slow_decay = 1 - self.alpha

    # -- time -------------------------------------------------------------------------------
    def hour_of(self, bucket: int) -> int:
        return (bucket * self.cfg.bucket_seconds // 3600) % HOURS

    def advance(self, bucket: int) -> None:
        """Move the newest bucket forward, clearing ring cells and folding old buckets."""
        if self.bucket is None:
            self.bucket = bucket
            return
        if bucket <= self.bucket:
            return
        ring, window = self.cfg.ring_buckets, self.cfg.window_buckets
        # Beyond a day of silence the per-bucket folding carries no information: jump.
        start = max(self.bucket + 1, bucket - HOURS * 3600 // self.cfg.bucket_seconds)
        if start > self.bucket + 1:
            self.ring[:] = 0
            self.wsum[:] = 0
        for b in range(start, bucket + 1):
            self._fold(b - window)
            self.ring[:, b % ring] = 0
            self.sketch.decay(self.sketch_decay)
            self.slow.decay(self.slow_decay)
        self.buckets_seen += bucket - self.bucket
        self.bucket = bucket

    def _fold(self, old: int) -> None:
        """Feed bucket ``old`` (which just left the scoring window) into the baselines."""
        live = (self.keys != 0) & (self.admitted <= old)
        x = self.ring[:, old % self.cfg.ring_buckets]
        self.wsum -= x
        np.maximum(self.wsum, 0, out=self.wsum)
        a = np.float32(self.alpha)
        self.ewma = np.where(live, self.ewma + a * (x - self.ewma), self.ewma)
        self.weight = np.where(live, self.weight + a * (1 - self.weight), self.weight)
        hour = self.hour_of(old)
        if self.folded_hour is not None and hour != self.folded_hour:
            self._close_hour(self.folded_hour)
        self.folded_hour = hour
        self.hour_max = np.where(live, np.maximum(self.hour_max, x), self.hour_max)

    def _close_hour(self, hour: int) -> None:
        seen = self.profile_days[:, hour]
        live = self.keys != 0
        blended = np.where(
            seen > 0, 0.5 * self.profile[:, hour] + 0.5 * self.hour_max, self.hour_max
        )
        self.profile[:, hour] = np.where(live, blended, self.profile[:, hour])
        self.profile_days[:, hour] = np.where(live, seen + 1, seen)
        self.hour_max[:] = 0

    # -- counting ---------------------------------------------------------------------------
    def add(self, phrases: np.ndarray, buckets: np.ndarray) -> np.ndarray:
        """Count occurrences; returns the slot per occurrence (-1 = long tail only)."""
        slots = self.index.lookup(phrases)
        miss = np.flatnonzero(slots < 0)
        if miss.size:
            tail = phrases[miss]
            self.sketch.add(tail)
            self.slow.add(tail)
            est = self.sketch.estimate(tail)
            heavy = np.flatnonzero(est >= self.cfg.admit_count)
            if heavy.size:
                self._admit(tail[heavy], est[heavy], self.slow.estimate(tail[heavy]))
                slots[miss[heavy]] = self.index.lookup(tail[heavy])
        self._count(slots, buckets)
        return slots

    def _count(self, slots: np.ndarray, buckets: np.ndarray) -> None:
        assert self.bucket is not None
        ring = self.cfg.ring_buckets
        ok = (slots >= 0) & (buckets > self.bucket - ring)
        if not ok.any():
            return
        s, b = slots[ok], buckets[ok]
        flat = s * ring + (b % ring)
        in_window = s[b > self.bucket - self.cfg.window_buckets]
        scatter_add(self.ring.reshape(-1), flat)
        scatter_add(self.wsum, in_window)
        self.last_hit[s] = self.bucket

    def _admit(self, hashes: np.ndarray, est: np.ndarray, slow: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        hashes, est, slow = hashes[order], est[order], slow[order]
        first = np.concatenate(([True], hashes[1:] != hashes[:-1]))
        hashes, est, slow = hashes[first], est[first], slow[first]
        # Slow-sketch mass -> per-bucket rate, over the buckets this engine has actually seen.
        n = max(1, self.buckets_seen)
        d = self.slow_decay
        rates = (slow - est) * (1 - d) / (1 - d**n)
        hist_w = 1 - d**n
        assert self.bucket is not None
        if len(self.free) < hashes.size:
            self._evict(max(hashes.size, self.cfg.capacity // 16))
        for key, count, rate in zip(hashes.tolist(), est.tolist(), rates.tolist(), strict=True):
            if not self.free:
                break
            slot = self.free[-1]
            if not self.index.insert(key, slot):
                continue
            self.free.pop()
            self.keys[slot] = key
            self.admitted[slot] = self.bucket
            self.last_hit[slot] = self.bucket
            # The sketch saw earlier mentions this slot never counted; credit them (minus the
            # occurrences of this batch, which _count adds right after).
            self.ring[slot, self.bucket % self.cfg.ring_buckets] = max(0.0, count - 1.0)
            self.wsum[slot] = max(0.0, count - 1.0)
            self.ewma[slot] = max(0.0, rate) * hist_w
            self.weight[slot] = hist_w
            self.used += 1

    def _evict(self, n: int) -> None:
        """Free the n least active, untracked slots."""
        live = np.flatnonzero((self.keys != 0) & ~self.hot)
        if live.size == 0:
            return
        activity = self.wsum[live] + self.ewma[live] * self.cfg.window_buckets
        n = min(n, live.size)
        victims = live[np.argpartition(activity, n - 1)[:n]]
        self.index.remove(self.keys[victims])
        self.release(victims)

    def release(self, slots: np.ndarray) -> None:
        self.keys[slots] = 0
        self.ring[slots] = 0
        self.wsum[slots] = 0
        self.ewma[slots] = 0
        self.weight[slots] = 0
        self.profile[slots] = 0
        self.profile_days[slots] = 0
        self.hour_max[slots] = 0
        self.hot[slots] = False
        self.free.extend(sorted(slots.tolist(), reverse=True))
        self.used -= int(slots.size)

    # -- reading ----------------------------------------------------------------------------
    def window_columns(self, bucket: int) -> list[int]:
        w, ring = self.cfg.window_buckets, self.cfg.ring_buckets
        return [(bucket - k) % ring for k in range(w)]

    def window_counts(
        self, slots: np.ndarray, bucket: int, recent: int | None = None
    ) -> np.ndarray:
        """Mentions over the scoring window (or its last ``recent`` buckets)."""
        cols = np.array(self.window_columns(bucket)[: recent or None], dtype=np.int64)
        return self.ring[np.ix_(slots, cols)].sum(axis=1)

    def expected(self, slots: np.ndarray, bucket: int) -> np.ndarray:
        """Expected window mentions from the phrase's own history (daily-cycle aware)."""
        weight = self.weight[slots]
        rate = np.where(weight > 0.0, self.ewma[slots] / np.maximum(weight, 1e-9), 0.0)
        rate = np.maximum(rate, self.cfg.prior_rate)
        total = np.zeros(slots.size, dtype=np.float64)
        prof = self.profile[slots]
        seen = self.profile_days[slots] > 0
        for k in range(self.cfg.window_buckets):
            h = self.hour_of(bucket - k)
            # Neighbouring hours too: a daily habit drifts by a few minutes from day to day.
            hours = [(h - 1) % HOURS, h, (h + 1) % HOURS]
            daily = np.where(seen[:, hours], prof[:, hours], 0.0).max(axis=1)
            total += np.maximum(rate, daily)
        return total

    def series(self, slot: int, bucket: int) -> list[tuple[int, int]]:
        ring = self.cfg.ring_buckets
        return [(b, int(self.ring[slot, b % ring])) for b in range(bucket - ring + 1, bucket + 1)]
