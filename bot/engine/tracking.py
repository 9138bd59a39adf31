"""Which phrases are tracked author by author, and when they are let go.

Counting (bot/engine/baseline.py) covers every phrase; only a few thousand are *tracked*:
given a ``Candidate`` that remembers who took the phrase up and when. This module owns that
set and everything kept in step with it:

- ``by_slot``: the tracked phrases, by their slot in the phrase table (whose ``hot`` flags
  mirror it);
- the ``PhraseShelf``: who used phrases no longer tracked, so tracking one again counts
  only newcomers;
- the post marks: where each bucket began in posts, to say "a window of posts ago";
- ``benched``: phrases just made room for, not promoted again for a window;
- a newly tracked phrase hears what the latest posts (``Overheard``) wrote around it, so
  templates its untracked first posts filled are known to its first adopters;
- the derived state, rebuilt after a restore: the phrases a tick must look at (``awake``)
  and which tracked phrases hold which (``NestIndex``). Both change only through the
  methods here, so they never drift from ``by_slot``.

Promotion (a phrase whose share of the stream jumps is tracked) and retirement (a phrase
that proved nothing, or whose story went quiet, is let go) live here too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.engine import clustering
from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate, PhraseShelf
from bot.engine.config import EngineConfig
from bot.engine.overheard import Overheard
from bot.engine.types import Lifecycle

if TYPE_CHECKING:
    from bot.engine.seeding import Leaders
    from bot.engine.stories import Stories

PREFILTER_FROM = 256  # busy phrases from which promotion first tests them against the prior
UNPROVEN_SCORE = 5.0  # a loose phrase still scoring under this after a window stops being tracked


def _ratio(mentions: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """How many times its expectation a phrase was mentioned (one added to both)."""
    return (mentions + 1.0) / (expected + 1.0)


def _z(mentions: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """How far above its expectation, in standard deviations (Anscombe's transform)."""
    return 2.0 * (np.sqrt(mentions + 0.375) - np.sqrt(expected + 0.375))


class Tracker:
    """The tracked phrases and the state kept in step with them; see the module docstring."""

    def __init__(
        self, cfg: EngineConfig, table: PhraseTable, leaders: Leaders, heard: Overheard
    ) -> None:
        self.cfg = cfg
        self.table = table
        self.leaders = leaders
        self.heard = heard
        self.by_slot: dict[int, Candidate] = {}
        # Who used phrases no longer tracked, and what they said around them.
        self.shelf = PhraseShelf()
        # (bucket, posts seen before it) for the buckets the fast memory's posts span
        self.marks: deque[tuple[int, int]] = deque()
        self.benched: dict[int, int] = {}  # slot -> bucket until which it may not be re-promoted
        # Derived, rebuilt after a restore: phrases a tick must look at (adopted since scored,
        # or scoring at least half-way to emerging), and which tracked phrases hold which.
        self._awake: set[int] | None = None
        self._nest: clustering.NestIndex | None = None

    # -- post marks ---------------------------------------------------------------------------
    def mark(self, bucket: int, posts_seen: int) -> None:
        """Remember where each bucket began in posts, as far back as the fast memory reaches."""
        marks = self.marks
        if not marks or marks[-1][0] < bucket:
            marks.append((bucket, posts_seen))
        keep = self.cfg.sketch_half_life_posts
        while len(marks) > 1 and posts_seen - marks[1][1] >= keep:
            marks.popleft()

    def bucket_posts_ago(self, posts: float, posts_seen: int) -> int:
        """The newest bucket at whose start the stream had seen at least ``posts`` fewer posts."""
        marks = self.marks
        if not marks:
            return 0
        return marks[0][0] if posts_seen - marks[0][1] >= posts else marks[0][0] - 1

    # -- derived state ------------------------------------------------------------------------
    def named(self, cand: Candidate) -> None:
        """``cand`` just got its canonical name: index which tracked phrases it holds, and
        let it learn the templates that tracked phrases sharing its first words (a shorter
        or a longer one) have been filled with: sock puppets do not start over when the
        phrase they push is tracked by a longer or shorter name."""
        nest = self.nest()
        nest.add(cand)
        name = cand.canonical or ""
        for part in nest.parts(cand):
            if name.startswith(f"{part.canonical} "):
                cand.learn_templates(part)
        for holder in nest.holders(cand):
            if (holder.canonical or "").startswith(f"{name} "):
                cand.learn_templates(holder)

    def woke(self, slot: int) -> None:
        """The phrase in ``slot`` took an adopter: the next tick looks at it."""
        if self._awake is not None:
            self._awake.add(slot)

    def awake(self, floor: float) -> set[int]:
        """Phrases a tick must look at (built on first use: after a start or a restore)."""
        if self._awake is None:
            self._awake = {s for s, c in self.by_slot.items() if c.dirty or c.score >= floor}
        return self._awake

    def awake_candidates(self) -> Iterator[Candidate]:
        return (self.by_slot[s] for s in self._awake or ())

    def nest(self) -> clustering.NestIndex:
        """Which tracked phrases hold which (built on first use)."""
        if self._nest is None:
            self._nest = clustering.NestIndex(self.by_slot.values())
        return self._nest

    def settle(self, cands: Iterable[Candidate], floor: float) -> None:
        """After scoring: phrases adopted since, or at least half-way to emerging, stay awake."""
        awake = self.awake(floor)
        for cand in cands:
            if cand.dirty or cand.score >= floor:
                awake.add(cand.slot)
            else:
                awake.discard(cand.slot)

    # -- promotion ----------------------------------------------------------------------------
    def promote(
        self, bucket: int, moment: datetime, armed: bool, posts_seen: int, now_ts: float | None
    ) -> None:
        """Track leaders' fresh phrases, and phrases whose share of the stream jumped."""
        t, cfg = self.table, self.cfg
        pending = self.leaders.pending
        if pending:
            hashes = np.fromiter(pending, dtype=np.uint64, count=len(pending))
            pending.clear()
            t.admit(hashes)
            found = t.index.lookup(hashes)
            self.track(found[found >= 0], bucket, moment, posts_seen, now_ts)
        if not armed:
            return  # before warm-up every phrase looks new: baselines need history first
        sel = t.take_touched()
        busy = (t.keys[sel] != 0) & ~t.hot[sel]
        busy &= np.maximum(t.wsum[sel], t.slow_count[sel]) >= cfg.promote_mentions
        sel = sel[busy]
        if self.benched:
            self.benched = {s: b for s, b in self.benched.items() if b > bucket}
            if self.benched and sel.size:
                sel = sel[~np.isin(sel, np.fromiter(self.benched, dtype=np.int64))]
        if sel.size == 0:
            return
        if sel.size > PREFILTER_FROM:
            # No share is below the prior (as float32, like every share), and the tests only
            # get harder as the share grows: a phrase that does not jump even against the
            # prior cannot jump, so most busy phrases are dropped before their baselines are
            # read (on a busy stream, tens of thousands a tick).
            floor = np.full(sel.size, cfg.prior_share, dtype=np.float32)
            sel = sel[self._jump(sel, floor, bucket) > 0]
            if sel.size == 0:
                return
        strength = self._jump(sel, t.share(sel, bucket), bucket)
        keep = strength > 0
        sel, strength = sel[keep], strength[keep]
        if sel.size == 0:
            return
        room = cfg.max_candidates - len(self.by_slot)
        if room < sel.size:
            room += self._make_room(sel.size - room, bucket)
        order = np.lexsort((t.keys[sel], -strength))[: max(room, 0)]
        self.track(sel[order], bucket, moment, posts_seen, now_ts)

    def _jump(self, sel: np.ndarray, share: np.ndarray, bucket: int) -> np.ndarray:
        """How far each phrase's mentions jump over what ``share`` predicts (0: not enough)."""
        t, cfg = self.table, self.cfg
        strength = np.zeros(sel.size)
        # Three time scales: the scoring window (an hour), and counts decayed like the fast
        # and the slow memory (thousands and tens of thousands of posts, hours to days).
        # On a busy tick each test narrows the phrases the next one is computed for (most
        # busy phrases fail the first or second); every value is computed as it would be for
        # all of them. A few phrases are tested at once (fewer numpy calls).
        scales = (
            (t.wsum, t.window_volume(bucket)),
            (t.fast_count, t.fast_volume),
            (t.slow_count, t.slow_volume),
        )
        if sel.size <= PREFILTER_FROM:
            for counts, volume in scales:
                m, e = counts[sel].astype(np.float64), share * volume
                ratio = _ratio(m, e)
                ok = (m >= cfg.promote_mentions) & (ratio >= cfg.promote_ratio)
                ok &= _z(m, e) >= cfg.promote_z
                strength = np.maximum(strength, np.where(ok, ratio, 0.0))
            return strength
        for counts, volume in scales:
            mentions = counts[sel]
            idx = np.flatnonzero(mentions >= cfg.promote_mentions)
            m = mentions[idx].astype(np.float64)
            e = share[idx] * volume
            ratio = _ratio(m, e)
            keep = np.flatnonzero(ratio >= cfg.promote_ratio)
            idx, m, e, ratio = idx[keep], m[keep], e[keep], ratio[keep]
            ok = _z(m, e) >= cfg.promote_z
            idx = idx[ok]
            strength[idx] = np.maximum(strength[idx], ratio[ok])
        return strength

    def track(
        self,
        slots: np.ndarray,
        bucket: int,
        moment: datetime,
        posts_seen: int,
        now_ts: float | None,
    ) -> None:
        t = self.table
        usual = t.learned(slots).tolist()
        new: list[Candidate] = []
        for slot, share in zip(slots.tolist(), usual, strict=True):
            if slot in self.by_slot:
                continue
            cand = Candidate(int(t.keys[slot]), slot, moment, bucket, posts_seen)
            cand.usual = float(share)
            self.shelf.fill(cand, bucket)
            self.leaders.seed(cand, int(t.admitted[slot]), t, now_ts)
            self.by_slot[slot] = cand
            t.hot[slot] = True
            new.append(cand)
        if new:
            said = self.heard.said(np.array([c.key for c in new], dtype=np.uint64))
            for cand in new:
                cand.overhear(said.get(cand.key, ()))

    def _make_room(self, wanted: int, bucket: int) -> int:
        """Stop tracking the weakest phrases that belong to no narrative."""
        weak = sorted(
            (c for c in self.by_slot.values() if c.narrative is None and c.promoted < bucket),
            key=lambda c: (c.score, c.weight, c.promoted),
        )[:wanted]
        for cand in weak:
            self.untrack(cand)
            self.benched[cand.slot] = bucket + self.cfg.window_buckets
        return len(weak)

    def untrack(self, cand: Candidate, loose: bool = False) -> None:
        del self.by_slot[cand.slot]
        self.shelf.put(cand, loose)
        self.table.hot[cand.slot] = False
        if self._nest is not None:
            self._nest.remove(cand)
        if self._awake is not None:
            self._awake.discard(cand.slot)

    def reseed(self, handles: set[str], now_ts: float | None) -> None:
        """Phrases credited to a leader no longer tracked look for another (story-less only)."""
        for cand in self.by_slot.values():
            if cand.leader is not None and cand.leader not in handles and cand.narrative is None:
                cand.leader = cand.seed_post = None
                self.leaders.seed(cand, int(self.table.admitted[cand.slot]), self.table, now_ts)

    # -- retirement ---------------------------------------------------------------------------
    def retire(self, bucket: int, posts_seen: int, stories: Stories) -> None:
        """Let go of phrases that proved nothing or whose story went quiet (memory bound).

        A narrative left without phrases is dropped (``Stories.drop``: its episode count
        survives in its history).
        """
        cfg, t = self.cfg, self.table
        # "Quiet for a while": for a window of time and for the fast memory's posts, so a
        # sparse stream (a few posts a minute) keeps a story's phrases for hours, not one hour.
        proof_posts = cfg.sketch_half_life_posts
        stale = min(bucket - cfg.window_buckets, self.bucket_posts_ago(proof_posts, posts_seen))
        idle = bucket - max(
            cfg.window_buckets, int(cfg.max_window_hours * 3600) // cfg.bucket_seconds
        )
        narrs = stories.narrs
        for slot, cand in list(self.by_slot.items()):
            n = narrs.get(cand.narrative) if cand.narrative else None
            # A story that went dormant lets go of its phrases after a quiet window; a loose
            # phrase may be building slowly, so it is kept for the scan's longest window.
            last = t.last_hit[slot]
            quiet = (cand.score < UNPROVEN_SCORE and last < (stale if n is not None else idle)) or (
                last < stale and not cand.adopt_times
            )
            # A phrase tracked for a window and for the fast memory's posts (on a sparse
            # stream, hours) whose adopters its baseline explains (an ordinary word in a busy
            # hour) proves nothing; it is tracked again, knowing its old authors (the
            # shelf), if new mentions make it jump again.
            quiet |= (
                n is None
                and cand.leader is None
                and cand.score < UNPROVEN_SCORE
                and cand.promoted <= stale
                and posts_seen - cand.promoted_posts >= proof_posts
            )
            if quiet and (n is None or n.state in (Lifecycle.DORMANT, Lifecycle.QUIET)):
                if n is not None:
                    if cand is not n.anchor:
                        n.members.remove(cand)
                    elif len(n.members) > 1:
                        # The narrative's own phrase leaves last: it keys and charts the
                        # narrative, so a co-occurring member never takes over its key.
                        continue
                    else:
                        stories.drop(n)  # its episode count survives in history
                # A loose phrase that leaves with adopters but no story adds them to its past.
                self.untrack(cand, loose=n is None)
            elif cand.canonical is None and t.last_hit[slot] < stale:
                self.untrack(cand)
