"""Exact per-phrase counts and daily-cycle-aware baselines for phrases that earned a slot.

Every phrase occurrence first hits the count-min sketch; once a phrase's recent count reaches
``admit_count`` it gets a slot here: a ring of per-bucket counts, an EWMA of its per-bucket
*share of all posts* and an hour-of-day profile of that share (per hour, over days, the busiest
bucket's share). Baselines are shares, not counts, so a whole-stream volume change (a reconnect
backlog, a sampling change, a quiet night, a source added) moves every phrase's expectation
with it. Baselines are fed with a lag of one scoring window, so a burst never hides itself.
Buckets without posts carry no information about shares: they are skipped, and idle stream
time costs nothing.

Memories are measured in posts as well as in time: each remembers at least its half-life in
stream time *and* at least a number of posts (whichever forgets more slowly). On a busy stream
time governs; on a sparse one (a few feeds, a subreddit's top posts) a day-long story would
otherwise fill the whole memory and become its own baseline.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bot.engine.config import EngineConfig
from bot.engine.sketch import SlotIndex, TwinSketch, scatter_add

HOURS = 24
SCRIPTS = 2  # posts in Han, hiragana or katakana (1) and all others (0)
ROUNDING = 1e-3  # float32 sketch cells round repeated additions of a decayed unit


def _one_bucket(buckets: np.ndarray) -> bool:
    """Whether a non-empty batch falls in one bucket (the first and last decide most cases)."""
    return bool(buckets.size and buckets[0] == buckets[-1] and buckets.min() == buckets.max())


class PhraseTable:
    """Bounded table of phrases with exact recent counts and share baselines (all numpy)."""

    STATE_ARRAYS = (
        "keys",
        "ring",
        "wsum",
        "slow_count",
        "fast_count",
        "ewma",
        "weight",
        "profile",
        "profile_days",
        "hour_sum",
        "admitted",
        "last_hit",
        "hot",
        "touched",
        "frozen",
        "volume",
        "presence",
        "pending_scripts",
    )
    STATE_SCALARS = (
        "used",
        "bucket",
        "folded_hour",
        "taught",
        "hour_volume",
        "history",
        "pending_posts",
        "slow_volume",
        "fast_volume",
    )

    def __init__(self, config: EngineConfig) -> None:
        self.cfg = config
        cap, ring = config.capacity, config.ring_buckets
        if config.window_buckets >= ring:
            raise ValueError("window_buckets must be smaller than ring_buckets")
        self.keys = np.zeros(cap, dtype=np.uint64)
        self.ring = np.zeros((cap, ring), dtype=np.float32)
        self.ewma = np.zeros(cap, dtype=np.float32)  # EWMA of the per-bucket share
        self.weight = np.zeros(cap, dtype=np.float32)
        self.profile = np.zeros((cap, HOURS), dtype=np.float32)  # share by hour of day
        self.profile_days = np.zeros((cap, HOURS), dtype=np.float32)
        # Derived: slots whose profile rows were ever written (most slots are evicted before
        # an hour closes, and their rows need no clearing).
        self.hourly = np.zeros(cap, dtype=bool)
        self.hour_sum = np.zeros(cap, dtype=np.float32)  # mentions in the hour being folded
        self.hour_volume = 0.0  # posts in the hour being folded
        self.admitted = np.zeros(cap, dtype=np.int64)
        self.last_hit = np.zeros(cap, dtype=np.int64)
        self.hot = np.zeros(cap, dtype=bool)
        self.touched = np.zeros(cap, dtype=bool)  # counted since the last promotion pass
        # Phrases of a story that is being told: their long-term share does not learn from it
        # (the hour-of-day profile still does, so a daily show becomes ordinary).
        self.frozen = np.zeros(cap, dtype=bool)
        self.wsum = np.zeros(cap, dtype=np.float32)  # running mentions over the scoring window
        # Mentions decayed like the slow sketch, history included: the phrase's share of
        # everything seen (slow_count / slow_volume), and its slow time scale for tracking.
        self.slow_count = np.zeros(cap, dtype=np.float32)
        # Mentions decayed like the fast sketch (fast_count / fast_volume): the middle time
        # scale, between the scoring window and the slow memory, for tracking.
        self.fast_count = np.zeros(cap, dtype=np.float32)
        self.volume = np.zeros(ring, dtype=np.float64)  # posts per ring bucket
        self.slow_volume = 0.0  # posts, decayed like slow_count and the slow sketch
        self.fast_volume = 0.0  # posts, decayed like the fast sketch
        self.used = 0
        # Free slots as a stack (the top is the end), in numpy: eviction frees thousands at once.
        self._free = np.arange(cap - 1, -1, -1, dtype=np.int64)
        self._n_free = cap
        # Derived: the slots in use (a key other than 0), ascending. Per-bucket work (leaving
        # the window, teaching, closing an hour, clearing ring columns) runs over these only,
        # so a sparse stream with a few thousand phrases does not pay for 65,536 slots. Kept
        # in step on admission and release while few; once an eighth of the table is in use,
        # dropped on change and rebuilt on use (one pass over the keys costs less than
        # inserting into a long sorted array, and a full table changes every batch).
        self._live: np.ndarray | None = np.zeros(0, dtype=np.int64)
        # Derived: every free slot's rows are zero. An eviction inside ``add`` can free a slot
        # the same batch then counts in (it was looked up before the eviction), leaving counts
        # in a free row; from then on every pass runs over all slots, as it always did, so the
        # tables stay bit-identical. Evictions only happen once the table is full, and then
        # ``_live`` spans nearly all slots anyway.
        self._clean_free = True
        self.index = SlotIndex(max(16, min(24, math.ceil(math.log2(cap)) + 4)))
        # A slow twin remembers the long tail's longer-term share, so a phrase admitted late
        # starts with a real baseline instead of the prior (no false "new phrase" bursts).
        self.sketches = TwinSketch(config.sketch_bits)
        self.sketch, self.slow = self.sketches.fast, self.sketches.slow
        self.history = 0.0  # how full the slow memory is (0 = nothing seen, 1 = full)
        # How much of the slow memory each script was written in (like history, per script).
        # A phrase admitted with no past is sure of that only as far as its script was there:
        # a Japanese source added today has no past for its words, not a past of zeros.
        self.presence = np.zeros(SCRIPTS, dtype=np.float64)
        self.pending_scripts = np.zeros(SCRIPTS, dtype=np.float64)  # posts since the last decay
        self.pending_posts = 0.0  # posts counted since the memories last decayed
        self.bucket: int | None = None  # newest bucket seen
        self.folded_hour: int | None = None  # hour-of-day of the last folded bucket
        self.taught: int | None = None  # newest bucket the baselines have learned
        self.alpha = 1 - 0.5 ** (config.bucket_seconds / (config.baseline_half_life_hours * 3600))
        self.sketch_decay = 0.5 ** (config.bucket_seconds / (config.sketch_half_life_minutes * 60))
        self.slow_decay = 1 - self.alpha

    # -- state --------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """Plain builtins and arrays only (see bot/engine/checkpoint.py)."""
        state: dict[str, Any] = {name: getattr(self, name) for name in self.STATE_ARRAYS}
        state.update({name: getattr(self, name) for name in self.STATE_SCALARS})
        state["free"] = self.free
        state["index"] = (self.index.keys, self.index.slots)
        state["sketch"] = self.sketch.table * np.float32(self.sketch.scale)
        state["slow"] = self.slow.table * np.float32(self.slow.scale)
        return state

    @classmethod
    def from_state(cls, config: EngineConfig, state: dict[str, Any]) -> PhraseTable:
        table = cls(config)
        for name in cls.STATE_ARRAYS:
            arr = np.asarray(state[name])
            mine = getattr(table, name)
            if arr.shape != mine.shape or arr.dtype != mine.dtype:
                raise ValueError(f"array {name} has shape {arr.shape} {arr.dtype}")
            setattr(table, name, arr.copy())
        for name in cls.STATE_SCALARS:
            setattr(table, name, state[name])
        table.free = [int(x) for x in state["free"]]
        table.hourly = np.asarray(table.profile_days.any(axis=1), dtype=bool)
        table._live = None
        free = table.keys == 0
        table._clean_free = not (
            table.touched[free].any()
            or table.wsum[free].any()
            or table.slow_count[free].any()
            or table.fast_count[free].any()
            or table.ring[free].any()
        )
        keys, slots = state["index"]
        table.index.keys, table.index.slots = np.asarray(keys).copy(), np.asarray(slots).copy()
        for sketch, cells in ((table.sketch, state["sketch"]), (table.slow, state["slow"])):
            cells = np.asarray(cells)
            if cells.shape != sketch.table.shape:
                raise ValueError(f"sketch of shape {cells.shape}")
            sketch.table[...] = cells  # in place: the twin cells stay side by side
        return table

    # -- time -------------------------------------------------------------------------------
    def hour_of(self, bucket: int) -> int:
        return (bucket * self.cfg.bucket_seconds // 3600) % HOURS

    def advance(self, bucket: int) -> None:
        """Move the newest bucket forward: buckets leave the window and teach, decay, clear.

        Cost is independent of the gap: only buckets that held posts are folded, and decay
        over ``k`` buckets is one multiplication by ``factor**k``.
        """
        if self.bucket is None:
            self.bucket = bucket
            return
        if bucket <= self.bucket:
            return
        ring, window = self.cfg.ring_buckets, self.cfg.window_buckets
        gap = bucket - self.bucket
        # Buckets leaving the scoring window: (old newest - window, new newest - window].
        for b in range(self.bucket - window + 1, min(self.bucket, bucket - window) + 1):
            if self.volume[b % ring] > 0:
                self._leave(b)
        self._teach(bucket)
        live = self.live  # rows of free slots are all zero already
        if gap >= ring:
            if self._few(8):
                self.ring[live] = 0
                self.wsum[live] = 0
            else:
                self.ring[:] = 0
                self.wsum[:] = 0
            self.volume[:] = 0
        else:
            for b in range(self.bucket + 1, bucket + 1):
                self.ring[live, b % ring] = 0
                self.volume[b % ring] = 0
        steps = min(gap, 100_000)
        posts, self.pending_posts = self.pending_posts, 0.0
        fast = self._forget(self.sketch_decay**steps, posts, self.cfg.sketch_half_life_posts)
        slow = self._forget(self.slow_decay**steps, posts, self.cfg.baseline_half_life_posts)
        self.sketch.decay(fast)
        self.slow.decay(slow)
        if self._few(32):  # free slots count 0, which decays to 0
            self.slow_count[live] *= np.float32(slow)
            self.fast_count[live] *= np.float32(fast)
        else:
            self.slow_count *= np.float32(slow)
            self.fast_count *= np.float32(fast)
        self.slow_volume *= slow
        self.fast_volume *= fast
        self.history = 1.0 - (1.0 - self.history) * slow
        present = (self.pending_scripts > 0).astype(np.float64)
        self.presence = self.presence * slow + (1.0 - slow) * present
        self.pending_scripts[:] = 0.0
        self.bucket = bucket

    @staticmethod
    def _forget(by_time: float, posts: float, half_life_posts: float) -> float:
        """Decay over a stretch of stream: the slower of its time and its posts' decay."""
        return max(by_time, 0.5 ** (posts / half_life_posts))

    def _few(self, fraction: int) -> bool:
        """Under 1/``fraction`` of the slots in use (and free rows all zero): gathering them
        beats a contiguous pass over every slot (for a multiplication, only under 1/32)."""
        return self._clean_free and self.live.size * fraction < self.cfg.capacity

    @property
    def live(self) -> np.ndarray:
        """Slots in use, ascending (the same as ``np.flatnonzero(keys != 0)``)."""
        if self._live is None:
            self._live = np.flatnonzero(self.keys != 0)
        return self._live

    def _leave(self, old: int) -> None:
        """Bucket ``old`` just left the scoring window: it no longer counts in it."""
        col = old % self.cfg.ring_buckets
        used = self._counted_at(old)
        if used.size:
            self.wsum[used] = np.maximum(self.wsum[used] - self.ring[used, col], 0)

    def _counted_at(self, old: int) -> np.ndarray:
        """Slots in use that were already counting in bucket ``old``."""
        live = self.live
        return live[self.admitted[live] <= old]

    def _teach(self, bucket: int) -> None:
        """Feed the baselines the buckets that have left the window by time *and* by posts.

        A bucket teaches once at least ``window_posts`` posts came after it (or when its ring
        cell is about to be reused). On a busy stream that is the moment it leaves the window;
        on a sparse one (a few hundred posts an hour) a story spans hours, and a lag of one
        hour let its own first hours become its baseline while it was still being tested.
        """
        ring = self.cfg.ring_buckets
        assert self.bucket is not None
        last = min(self.bucket, bucket - self.cfg.window_buckets)  # newest out of the window
        first = self.bucket - ring + 1 if self.taught is None else self.taught + 1
        first = max(first, self.bucket - ring + 1)
        if first > last:
            return
        # Posts after each pending bucket, up to the old newest (the new ones hold none yet).
        span = np.arange(first, self.bucket + 1)
        vols = self.volume[span % ring]
        after = np.cumsum(vols[::-1])[::-1] - vols
        for i, b in enumerate(range(first, last + 1)):
            if b > bucket - ring and after[i] < self.cfg.window_posts:
                break  # later buckets have even fewer posts after them
            if vols[i] > 0:
                self._fold(b)
            self.taught = b

    def _fold(self, old: int) -> None:
        """Feed bucket ``old`` into the share baselines and the hour-of-day profile.

        Only slots in use are touched, so a sparse stream with a few busy phrases folds fast.
        """
        col = old % self.cfg.ring_buckets
        used = self._counted_at(old)
        if used.size == 0:
            return
        x = self.ring[used, col]
        share = x / np.float32(self.volume[col])
        # One bucket's weight: the slower of a bucket of time and the bucket's posts.
        by_posts = 1.0 - 0.5 ** (float(self.volume[col]) / self.cfg.baseline_half_life_posts)
        a = np.float32(min(self.alpha, by_posts))
        learn, learned = used, share
        thawed = ~self.frozen[used]
        if not thawed.all():
            learn, learned = used[thawed], share[thawed]
        # The same float32 arithmetic as ``+=``, one gather fewer.
        ewma = self.ewma[learn]
        self.ewma[learn] = ewma + a * (learned - ewma)
        weight = self.weight[learn]
        self.weight[learn] = weight + a * (1 - weight)
        hour = self.hour_of(old)
        if self.folded_hour is not None and hour != self.folded_hour:
            self._close_hour(self.folded_hour)
        self.folded_hour = hour
        self.hour_sum[used] += x
        self.hour_volume += float(self.volume[col])

    def _close_hour(self, hour: int) -> None:
        # The hour's share as a whole, not its busiest bucket: a bucket of one post would
        # give every phrase in it a share of 1. And only what the hour's count shows beyond
        # chance (two standard deviations below it): on a sparse stream one mention in an
        # hour of 90 posts is no habit, a daily show's hundreds are.
        used = self.live
        count = self.hour_sum[used]
        sure = np.maximum(count - 2.0 * np.sqrt(count), 0.0)
        share = sure / np.float32(max(self.hour_volume, 1.0))
        seen = self.profile_days[used, hour]
        mine = self.profile[used, hour]
        self.profile[used, hour] = np.where(seen > 0, 0.5 * mine + 0.5 * share, share)
        self.profile_days[used, hour] = seen + 1
        self.hourly[used] = True
        self.hour_sum[used] = 0
        self.hour_volume = 0.0

    # -- counting ---------------------------------------------------------------------------
    def add_posts(self, buckets: np.ndarray, cjk: np.ndarray | None = None) -> None:
        """Count the stream's own volume (every post, whether or not it yields phrases).

        ``cjk`` says per post whether it is written in Han, hiragana or katakana.
        """
        assert self.bucket is not None
        ring = self.cfg.ring_buckets
        if _one_bucket(buckets):
            # The usual batch (a sort for np.unique costs more than the batch).
            if buckets[0] > self.bucket - ring:
                self.volume[buckets[0] % ring] += buckets.size
        else:
            ok = buckets > self.bucket - ring
            if ok.any():
                uniq, counts = np.unique(buckets[ok], return_counts=True)
                np.add.at(self.volume, uniq % ring, counts)
        n = float(buckets.size)
        in_cjk = float(np.count_nonzero(cjk)) if cjk is not None else 0.0
        self.pending_scripts += (n - in_cjk, in_cjk)
        self.slow_volume += n
        self.fast_volume += n
        self.pending_posts += n

    def add(
        self, phrases: np.ndarray, buckets: np.ndarray, cjk: np.ndarray | None = None
    ) -> np.ndarray:
        """Count occurrences; returns the slot per occurrence (-1 = long tail only).

        ``cjk`` says per occurrence whether its post is in Han, hiragana or katakana.
        """
        slots = self.index.lookup(phrases)
        miss = np.flatnonzero(slots < 0)
        if miss.size:
            tail = phrases[miss]
            cells = self.sketch.cells(tail)  # the slow twin has the same shape
            est = self.sketches.add_estimate(cells)
            heavy = np.flatnonzero(est >= self.cfg.admit_count - ROUNDING)
            if heavy.size:
                scripts = None if cjk is None else cjk[miss[heavy]]
                self.admit(tail[heavy], est[heavy], scripts)
                slots[miss[heavy]] = self.index.lookup(tail[heavy])
        self._count(slots, buckets)
        return slots

    def _count(self, slots: np.ndarray, buckets: np.ndarray) -> None:
        assert self.bucket is not None
        ring = self.cfg.ring_buckets
        if _one_bucket(buckets):  # the usual batch
            b0 = int(buckets[0])
            if b0 <= self.bucket - ring:
                return
            s = slots[slots >= 0]
            if s.size == 0:
                return
            flat = s * ring + b0 % ring
            in_window = s if b0 > self.bucket - self.cfg.window_buckets else s[:0]
        else:
            ok = (slots >= 0) & (buckets > self.bucket - ring)
            if not ok.any():
                return
            s, b = slots[ok], buckets[ok]
            flat = s * ring + (b % ring)
            in_window = s[b > self.bucket - self.cfg.window_buckets]
        scatter_add(self.ring.reshape(-1), flat)
        scatter_add(self.wsum, in_window)
        scatter_add(self.slow_count, s)
        scatter_add(self.fast_count, s)
        self.last_hit[s] = self.bucket
        self.touched[s] = True

    def admit(
        self, hashes: np.ndarray, est: np.ndarray | None = None, cjk: np.ndarray | None = None
    ) -> None:
        """Give phrases exact slots, seeded with the share the sketches remember.

        The share is weighed by how much of the memory the phrase's script was written in
        (``cjk``, per hash; the whole memory's fullness if not given).
        """
        # Copies of a hash carry one estimate, so which copy the sort puts first is moot.
        order = np.argsort(hashes)
        hashes = hashes[order]
        first = np.concatenate(([True], hashes[1:] != hashes[:-1]))
        hashes = hashes[first]
        if cjk is not None:
            cjk = cjk[order][first]
        if est is None:
            new = self.index.lookup(hashes) < 0
            hashes = hashes[new]
            cjk = None if cjk is None else cjk[new]
            recent = self.sketch.estimate(hashes)
        else:  # from add(): every hash missed the index a moment ago
            recent = est[order][first]
        if hashes.size == 0:
            return
        slow = self.slow.estimate(hashes)
        # Slow-sketch mass not explained by the recent burst, over the posts it has seen.
        older_posts = max(1.0, self.slow_volume - self.fast_volume)
        shares = np.maximum(slow - recent, 0.0) / older_posts
        if cjk is None:
            hist_w = np.full(hashes.size, max(self.history, 1e-6))
        else:
            hist_w = np.maximum(self.presence[cjk.astype(np.int64)], 1e-6)
        assert self.bucket is not None
        if self._n_free < hashes.size:
            self._evict(max(hashes.size, self.cfg.capacity // 16))
        take = min(self._n_free, hashes.size)
        if take == 0:
            return
        hashes, recent, shares, slow = hashes[:take], recent[:take], shares[:take], slow[:take]
        hist_w = hist_w[:take]
        offered = self._free[self._n_free - take : self._n_free][::-1].copy()
        self._n_free -= take
        placed = self.index.insert_many(hashes, offered)
        # Slots offered to keys the index had no cell for go back to the free list.
        self._push_free(offered[~placed][::-1])
        slots = offered[placed]
        count, share, seen = recent[placed], shares[placed], slow[placed]
        self.keys[slots] = hashes[placed]
        self.admitted[slots] = self.bucket
        self.last_hit[slots] = self.bucket
        # The sketch saw earlier mentions these slots never counted; credit them (minus the
        # occurrences of this batch, which _count adds right after).
        credit = np.maximum(count - 1.0, 0.0) if est is not None else np.zeros(slots.size)
        self.ring[slots, self.bucket % self.cfg.ring_buckets] = credit
        self.wsum[slots] = credit
        self.slow_count[slots] = np.maximum(seen - 1.0, 0.0) if est is not None else seen
        self.fast_count[slots] = credit
        self.ewma[slots] = share * hist_w[placed]
        self.weight[slots] = hist_w[placed]
        self.used += int(slots.size)
        self._add_live(slots[hashes[placed] != 0])  # a key of 0 reads as a free slot

    def _evict(self, n: int) -> None:
        """Free the n least active, untracked slots."""
        live = self.live
        live = live[~self.hot[live]]
        if live.size == 0:
            return
        activity = self.wsum[live] + self.slow_count[live]
        n = min(n, live.size)
        # In ascending slot order as release() wants them: picked by a mask over the sorted
        # live slots (linear), not sorted.
        picked = np.zeros(live.size, dtype=bool)
        picked[np.argpartition(activity, n - 1)[:n]] = True
        victims = live[picked]
        self._clean_free = False  # see __init__
        self.index.remove(self.keys[victims])
        self._release_sorted(victims)

    def release(self, slots: np.ndarray) -> None:
        self._release_sorted(np.sort(slots))  # thousands of scattered writes go faster in order

    def _release_sorted(self, slots: np.ndarray) -> None:
        self.keys[slots] = 0
        self.ring[slots] = 0
        self.wsum[slots] = 0
        self.slow_count[slots] = 0
        self.fast_count[slots] = 0
        self.ewma[slots] = 0
        self.weight[slots] = 0
        kept = slots[self.hourly[slots]]
        self.profile[kept] = 0
        self.profile_days[kept] = 0
        self.hourly[kept] = False
        self.hour_sum[slots] = 0
        self.hot[slots] = False
        self.touched[slots] = False
        self.frozen[slots] = False
        self._push_free(slots[::-1])
        self.used -= int(slots.size)
        self._drop_live(slots)

    def _kept_live(self) -> np.ndarray | None:
        """The live-slot list if it is kept in step (under an eighth of the table in use);
        otherwise it is dropped, to be rebuilt on use (see __init__)."""
        live = self._live
        if live is None or live.size * 8 >= self.cfg.capacity:
            self._live = None
            return None
        return live

    def _add_live(self, slots: np.ndarray) -> None:
        live = self._kept_live()
        if live is None:
            return
        new = np.sort(slots)
        self._live = np.insert(live, np.searchsorted(live, new), new)

    def _drop_live(self, slots: np.ndarray) -> None:
        live = self._kept_live()
        if live is None:
            return
        gone = np.zeros(live.size, dtype=bool)
        at = np.searchsorted(live, slots)
        ok = at < live.size
        at = at[ok]
        gone[at[live[at] == slots[ok]]] = True
        self._live = live[~gone]

    @property
    def free(self) -> list[int]:
        """Free slots, the next one to be taken last (the checkpointed form)."""
        return self._free[: self._n_free].tolist()

    @free.setter
    def free(self, slots: list[int]) -> None:
        self._free = np.zeros(self.cfg.capacity, dtype=np.int64)
        self._n_free = 0
        self._push_free(np.asarray(slots, dtype=np.int64))

    def _push_free(self, slots: np.ndarray) -> None:
        self._free[self._n_free : self._n_free + slots.size] = slots
        self._n_free += int(slots.size)

    def take_touched(self) -> np.ndarray:
        """Slots counted since the last call: the only ones whose promotion can have changed."""
        if self._clean_free:  # only slots in use were touched (see __init__)
            live = self.live
            slots = live[self.touched[live]]
        else:
            slots = np.flatnonzero(self.touched)
        self.touched[slots] = False
        return slots

    # -- reading ----------------------------------------------------------------------------
    def window_columns(self, bucket: int, buckets: int | None = None) -> list[int]:
        w, ring = buckets or self.cfg.window_buckets, self.cfg.ring_buckets
        return [(bucket - k) % ring for k in range(w)]

    def window_counts(
        self, slots: np.ndarray, bucket: int, recent: int | None = None
    ) -> np.ndarray:
        """Mentions over the scoring window (or its last ``recent`` buckets)."""
        cols = np.array(self.window_columns(bucket)[: recent or None], dtype=np.int64)
        return self.ring[np.ix_(slots, cols)].sum(axis=1)

    def window_volume(self, bucket: int) -> float:
        return float(self.volume[self.window_columns(bucket)].sum())

    def share(self, slots: np.ndarray, bucket: int) -> np.ndarray:
        """Baseline share of posts per phrase (history, daily habit at this hour, or prior)."""
        rate = np.maximum(self.learned(slots), self.cfg.prior_share)
        h = self.hour_of(bucket)
        # Neighbouring hours too: a daily habit drifts by a few minutes from day to day.
        # The three hours as flat 1-D gathers (cheaper than np.ix_ and a max over rows of 3).
        days, profile = self.profile_days.reshape(-1), self.profile.reshape(-1)
        rows = slots * HOURS
        for hour in ((h - 1) % HOURS, h, (h + 1) % HOURS):
            cells = rows + hour
            rate = np.maximum(rate, np.where(days[cells] > 0, profile[cells], 0.0))
        return rate

    def learned(self, slots: np.ndarray) -> np.ndarray:
        """The share each phrase's history taught (no prior, no daily habit; 0 if none)."""
        weight = self.weight[slots]
        return np.where(weight > 0.0, self.ewma[slots] / np.maximum(weight, 1e-9), 0.0)

    def expected(self, slots: np.ndarray, bucket: int) -> np.ndarray:
        """Expected window mentions: baseline share times the window's posts."""
        return self.share(slots, bucket) * self.window_volume(bucket)

    def overall(self, keys: np.ndarray) -> np.ndarray:
        """Share of everything seen (decayed over the baseline half-life), burst included."""
        slots = self.index.lookup(keys)
        counts = np.where(
            slots >= 0, self.slow_count[np.maximum(slots, 0)], self.slow.estimate(keys)
        )
        return np.minimum(counts / max(self.slow_volume, 1.0), 1.0)

    def mentions_before(self, slot: int, bucket: int) -> float:
        """Mentions in the buckets before ``bucket``, as far back as the ring reaches (4 h)."""
        if self.bucket is None:
            return 0.0
        oldest = self.bucket - self.cfg.ring_buckets + 1
        newest = min(bucket - 1, self.bucket)
        if newest < oldest:
            return 0.0
        return float(self.ring[slot, self.window_columns(newest, newest - oldest + 1)].sum())

    def series(self, slot: int, bucket: int) -> list[tuple[int, int]]:
        ring = self.cfg.ring_buckets
        return [(b, int(self.ring[slot, b % ring])) for b in range(bucket - ring + 1, bucket + 1)]
