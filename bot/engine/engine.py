"""NarrativeEngine: posts in, ranked narratives and one alert per viral episode out.

Pipeline per ``ingest`` batch (all in stream time, no I/O):
  text.extract          posts -> phrase occurrences (numpy)          \\ the aggregation seam:
  PhraseTable.add       sketch + exact per-bucket counts per phrase  / ``ingest_extraction``
  Candidate.hit/adopt   per-author state, only for tracked phrases: who took a phrase up, when
and per ``tick``: track phrases whose share of the stream jumps (at minutes or hours scale),
score each by the sequential adoption test (bot/engine/evidence.py), join the forms of one
story into a narrative (bot/engine/clustering.py), and run the lifecycle.

A post that carries a longer tracked phrase ("vibe coding") is an adoption of that phrase, not
of its parts ("vibe", "code"): the story is named and counted by its whole phrase.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from bot.engine import clustering
from bot.engine.baseline import PhraseTable
from bot.engine.breakdown import Breakdown
from bot.engine.candidates import Candidate, PhraseShelf
from bot.engine.config import EngineConfig
from bot.engine.evidence import SMALL, acceleration, scan, slowed
from bot.engine.folding import stable_hash
from bot.engine.lifecycle import Narrative, step
from bot.engine.scoring import Signals, explain, score
from bot.engine.text import (
    Extraction,
    Vocab,
    canonicalize,
    content_words,
    extract,
    frame_of,
    is_edge_stop,
    phrase_key,
    phrase_text,
    phrase_words,
    unigram_keys,
    word_keys,
)
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView, SamplePost, utc
from bot.leaders import LeaderFormatError, entry_ids, post_identity
from bot.posts import Post

SURFACE_SAMPLES = 64  # hits per candidate whose surface text is recorded for labels
MAX_HISTORY = 10_000  # retired narratives remembered (episode counts survive)
RETIRE_SECONDS = 24 * 3600
NARRATIVE_KEY_CHARS = 200  # the one place that bounds a narrative key (storage holds as much)
LEADER_PHRASES = 64  # phrases of one leader post tracked at once
JUMP_AGREEMENT = 16  # posts that must agree before the stream's clock jumps ahead
EXTENSION_LIFT = 4.0  # a phrase this much likelier than its part beside a common word is its own
MAX_COUNTED_GAP = 6 * 3600.0  # a longer gap in the stream does not count towards warm-up
MIN_SCALE_SECONDS = 1800.0  # after an alert the score looks back at least this far
RAREST_SHARE = 1e-6  # rarity of a word never seen (its -ln share is capped here)
OWN_WORD = 4.0  # a word this much commoner than a phrase is not that phrase's own (a filler)
CONTEXT_WORDS = 16  # a post's rarest other words compared between adopters
ESTABLISHED = 4.0  # a phrase with this many times a story's adopters in earlier lives is common
UNPROVEN_SCORE = 5.0  # a loose phrase still scoring under this after a window stops being tracked


def leader_ids(entries: Iterable[str]) -> frozenset[str]:
    """Leader identities as "network:handle" (a bare handle: its X and Bluesky accounts).

    Entries that are not handles are ignored here; configuration and commands reject them
    with a message before they reach the engine.
    """
    out: set[str] = set()
    for entry in entries:
        try:
            out.update(entry_ids(entry))
        except LeaderFormatError:
            continue
    return frozenset(out)


class LeaderPost:
    __slots__ = ("author", "bucket", "phrases", "sample", "ts")

    def __init__(
        self, ts: float, bucket: int, author: str, sample: SamplePost, phrases: frozenset[int]
    ) -> None:
        self.ts = ts
        self.bucket = bucket
        self.author = author  # the display handle (no network)
        self.sample = sample
        self.phrases = phrases


class NarrativeEngine:
    """Pure, synchronous narrative detector; see the module docstring."""

    def __init__(self, config: EngineConfig | None = None, leaders: Iterable[str] = ()) -> None:
        self.cfg = config or EngineConfig()
        self.vocab = Vocab()
        self.table = PhraseTable(self.cfg)
        self.leaders: frozenset[str] = frozenset()
        self.leader_posts: deque[LeaderPost] = deque(maxlen=self.cfg.max_leader_posts)
        self.set_leaders(leaders)
        self.by_slot: dict[int, Candidate] = {}
        # Who used phrases no longer tracked, and what they said around them.
        self.shelf = PhraseShelf()
        # (bucket, posts seen before it) for the buckets the fast memory's posts span
        self.marks: deque[tuple[int, int]] = deque()
        self.benched: dict[int, int] = {}  # slot -> bucket until which it may not be re-promoted
        self.pending: set[int] = set()  # phrase hashes of fresh leader posts, tracked next tick
        self.scored_bucket: int | None = None
        self.retired_bucket: int | None = None
        self.narrs: dict[str, Narrative] = {}
        self.history: dict[str, tuple[int, float | None]] = {}
        self.start_ts: float | None = None
        self.now_ts: float | None = None
        self.posts_ingested = 0
        self.occurrences = 0
        self.tokens = 0  # tokens seen (words per post, for chance co-occurrence)
        self.alerts_fired = 0
        self.skewed = 0  # posts dated implausibly far ahead of the stream, skipped
        self.held: list[Post] = []  # posts dated far ahead, waiting for agreement (watermark)
        self._in_step_since_hold = 0
        self.seen_seconds = 0.0  # stream time seen, gaps capped (warm-up; a jump is no history)
        # Derived, rebuilt after a restore: phrases a tick must look at (adopted since scored,
        # or scoring at least half-way to emerging), and which tracked phrases hold which.
        self._awake: set[int] | None = None
        self._nest: clustering.NestIndex | None = None
        self._frozen_bucket: int | None = None

    # -- configuration ------------------------------------------------------------------------
    def set_leaders(self, handles: Iterable[str]) -> None:
        """Track exactly these leaders ("network:handle", or a bare X/Bluesky handle).

        A removed leader must not seed narratives from posts made while still tracked (and
        re-adding them later does not bring those posts back). Narratives already seeded keep
        their leader.
        """
        self.leaders = leader_ids(handles)
        self._leader_cache: dict[tuple[str, str], str | None] = {}
        handles = self._leader_handles()
        kept = [lp for lp in self.leader_posts if lp.author in handles]
        if len(kept) != len(self.leader_posts):
            self.leader_posts = deque(kept, maxlen=self.leader_posts.maxlen)
        for cand in getattr(self, "by_slot", {}).values():
            if cand.leader is not None and cand.leader not in handles and cand.narrative is None:
                cand.leader = cand.seed_post = None
                self._find_leader(cand, int(self.table.admitted[cand.slot]))

    def _leader_handles(self) -> set[str]:
        return {ident.split(":", 1)[1] for ident in self.leaders}

    def _leader_of(self, post: Post) -> str | None:
        """The leader's display handle when ``post`` is by a tracked leader on that network."""
        key = (post.source, post.author)
        if key in self._leader_cache:
            return self._leader_cache[key]
        if len(self._leader_cache) > 200_000:
            self._leader_cache.clear()
        ident = post_identity(post.source, post.author.strip().lstrip("@"))
        found = ident.split(":", 1)[1] if ident in self.leaders else None
        self._leader_cache[key] = found
        return found

    @property
    def now(self) -> datetime | None:
        return None if self.now_ts is None else utc(self.now_ts)

    def _bucket(self, ts: float) -> int:
        return int(ts // self.cfg.bucket_seconds)

    # -- ingest -------------------------------------------------------------------------------
    def ingest(self, posts: Sequence[Post], times: np.ndarray | None = None) -> None:
        """Count a batch of posts (any order within a few hours; event time only).

        ``times``: the posts' epoch seconds when the caller already has them (a reader parses
        each time once).
        """
        if not posts:
            return
        ts = times
        if ts is None:
            ts = np.fromiter(
                (p.created_at.timestamp() for p in posts), dtype=np.float64, count=len(posts)
            )
        posts, ts = self._watermark(posts, ts)
        if posts:
            ext = extract([p.text for p in posts], self.vocab)
            self.ingest_extraction(ext, ts, posts)

    def _watermark(self, posts: Sequence[Post], ts: np.ndarray) -> tuple[list[Post], np.ndarray]:
        """Hold back posts dated far ahead of the stream (a client's wrong clock).

        The stream's own progress is the reference: the newest accepted time, or the median of
        a batch big enough to speak for the stream. A post far ahead of it waits; if enough
        such posts agree (a replay of a later week, a restart after days), the stream really
        moved on and they are counted; if the stream goes on in step instead, they were wrong
        clocks and are skipped and counted. So one post dated 2099 (or a first post from 1999)
        changes nothing.
        """
        if self.now_ts is None:
            return list(posts), ts
        reference = self.now_ts
        if ts.size >= JUMP_AGREEMENT:
            reference = max(reference, float(np.median(ts)))
        ahead = ts > reference + self.cfg.max_lead_minutes * 60.0
        in_step = int((~ahead).sum())
        if not ahead.any():
            self._in_step_since_hold += in_step
            if self.held and self._in_step_since_hold >= JUMP_AGREEMENT:
                self.skewed += len(self.held)
                self.held.clear()
            return list(posts), ts
        flags = ahead.tolist()
        self.held.extend(p for p, a in zip(posts, flags, strict=True) if a)
        kept = [p for p, a in zip(posts, flags, strict=True) if not a]
        kept_ts = ts[~ahead]
        if len(self.held) < JUMP_AGREEMENT:
            self._in_step_since_hold += in_step
            return kept, kept_ts
        # Enough posts agree that the stream is elsewhere in time: count those near their median.
        held_ts = np.array([p.created_at.timestamp() for p in self.held])
        target = float(np.median(held_ts)) + self.cfg.max_lead_minutes * 60.0
        agree = held_ts <= target
        kept += [p for p, a in zip(self.held, agree.tolist(), strict=True) if a]
        kept_ts = np.concatenate((kept_ts, held_ts[agree]))
        self.skewed += int((~agree).sum())
        self.held.clear()
        self._in_step_since_hold = 0
        return kept, kept_ts

    def ingest_extraction(self, ext: Extraction, ts: np.ndarray, posts: Sequence[Post]) -> None:
        """Aggregate an extracted batch (the seam: extraction may run in another process)."""
        now = self._advance_clock(float(ts.max()), float(np.median(ts)))
        buckets = (ts // self.cfg.bucket_seconds).astype(np.int64)
        self.table.advance(self._bucket(now))
        self._mark(self._bucket(now))
        self.table.add_posts(buckets)
        slots = self.table.add(ext.phrase, buckets[ext.post])
        base = self.posts_ingested
        if self.leaders:
            self._record_leader_posts(ext, ts, buckets, posts)
        if self.by_slot and slots.size:
            hot = self.table.hot[np.maximum(slots, 0)] & (slots >= 0)
            idx = np.flatnonzero(hot)
            if idx.size:
                self._hits(ext, idx, slots, ts, buckets, posts, base)
        self.posts_ingested += len(posts)
        self.occurrences += int(ext.phrase.size)
        self.tokens += int(ext.token_ids.size)

    def _hits(
        self,
        ext: Extraction,
        idx: np.ndarray,
        slots: np.ndarray,
        ts: np.ndarray,
        buckets: np.ndarray,
        posts: Sequence[Post],
        base: int,
    ) -> None:
        by_slot = self.by_slot
        post_of = ext.post[idx].tolist()
        starts = ext.start[idx].tolist()
        lengths = ext.length[idx].tolist()
        # Per post, the tracked occurrences; one inside a longer tracked one is not its own.
        spans: dict[int, list[tuple[int, int, int]]] = {}
        hot_slots = slots[idx].tolist()
        for p, s, n, slot in zip(post_of, starts, lengths, hot_slots, strict=True):
            spans.setdefault(p, []).append((s, n, slot))
        ring_weight = self.cfg.ring_weight
        said: dict[int, list[tuple[float, int, int]]] = {}
        for slot, p, s, n in zip(hot_slots, post_of, starts, lengths, strict=True):
            cand = by_slot[slot]
            post = posts[p]
            new_author = cand.is_new_author(post.author)
            if not cand.hit(post, base + p, int(buckets[p])):
                continue
            if cand.surface_hits < SURFACE_SAMPLES:
                canonical, surface = phrase_text(ext, self.vocab, s, n)
                if cand.canonical is None:
                    cand.canonical = canonical
                    cand.n_tokens = n
                    cand.words = phrase_words(ext, self.vocab, s, n)
                    cand.own_words = self._own_words(cand)
                    if self._nest is not None:
                        self._nest.add(cand)
                cand.add_surface(surface)
            if not new_author or self._leader_of(post) is not None:
                continue
            if self._outweighed(cand, s, n, spans[p]):
                continue
            if p not in said:
                said[p] = self._said(ext, p)
            words, rarity = self._besides(said[p], s, n)
            frame = frame_of(ext, self.vocab, p, s, n)
            cand.adopt(
                float(ts[p]), base + p, (int(ext.text_sig[p]), words), rarity, ring_weight, frame
            )
            if self._awake is not None:
                self._awake.add(slot)

    def _own_words(self, cand: Candidate) -> frozenset[int]:
        """Hashes of the words mostly used in this phrase (a quarter of their uses or more).

        Such words name the story ("ghost" in "summoning ghosts"); a word used everywhere
        ("my", a filler the whole stream writes) says nothing about which story a post is.
        Both shares are of the same memory, so this holds on a stream of any size.
        """
        content = [w for w in cand.words if not is_edge_stop(w)]
        if not content:
            return frozenset()
        shares = self.table.overall(word_keys(content)).tolist()
        mine = float(self.table.overall(np.array([cand.key], dtype=np.uint64))[0])
        return frozenset(
            stable_hash(w) for w, s in zip(content, shares, strict=True) if s <= OWN_WORD * mine
        )

    def _outweighed(
        self, cand: Candidate, start: int, length: int, spans: list[tuple[int, int, int]]
    ) -> bool:
        """Whether the post adopts another tracked phrase instead of this one.

        A post adopts the longer phrase that contains this one ("vibe coding", not "code"),
        and of two overlapping phrases the one more people took up: "召喚した musakix" in
        "幽霊を召喚した musakix" is the story's phrase with a neighbour, not a story of its own.
        """
        end = start + length
        for s2, n2, slot in spans:
            if n2 > length and s2 <= start and s2 + n2 >= end:
                return True
            overlaps = s2 < end and start < s2 + n2 and (s2, n2) != (start, length)
            if overlaps and self.by_slot[slot].total_weight > cand.total_weight:
                return True
        return False

    def _said(self, ext: Extraction, post: int) -> list[tuple[float, int, int]]:
        """A post's content words, rarest first: (how much each says, position, hash).

        A word says -ln of its share of posts (an unseen word the most). Rare words tell
        copies apart; ranking once per post serves every phrase the post adopts.
        """
        positions, hashes = content_words(ext, self.vocab, post)
        if hashes.size == 0:
            return []
        shares = self.table.overall(unigram_keys(hashes))
        weights = -np.log(np.maximum(shares, RAREST_SHARE))
        order = np.argsort(-weights, kind="stable")
        return list(
            zip(
                weights[order].tolist(),
                positions[order].tolist(),
                hashes[order].tolist(),
                strict=True,
            )
        )

    @staticmethod
    def _besides(
        said: list[tuple[float, int, int]], start: int, length: int
    ) -> tuple[frozenset[int], dict[int, float]]:
        """What a post says besides one phrase: its rarest ``CONTEXT_WORDS`` other words
        (keeping only those also bounds the work for long posts), with their rarity."""
        end = start + length
        rarity: dict[int, float] = {}
        for weight, pos, key in said:
            if start <= pos < end:
                continue
            # A word may occur twice; ranked rarest first, so the first occurrence is enough.
            rarity.setdefault(key, weight)
            if len(rarity) == CONTEXT_WORDS:
                break
        return frozenset(rarity), rarity

    def _record_leader_posts(
        self, ext: Extraction, ts: np.ndarray, buckets: np.ndarray, posts: Sequence[Post]
    ) -> None:
        for p, post in enumerate(posts):
            handle = self._leader_of(post)
            if handle is None:
                continue
            mine = ext.post == p
            phrases = frozenset(ext.phrase[mine].tolist())
            self.leader_posts.append(
                LeaderPost(float(ts[p]), int(buckets[p]), handle, SamplePost.of(post), phrases)
            )
            # A leader's fresh phrases are tracked at once, so their first adopters count.
            multi = ext.phrase[mine & (ext.length > 1)].tolist()
            self.pending.update(multi[:LEADER_PHRASES])

    # -- tick ---------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[AlertEvent]:
        """Score, group and advance lifecycles at stream time ``now``; returns new alerts."""
        if now is not None:
            ts = now.timestamp()
            self.table.advance(self._bucket(self._advance_clock(ts, ts)))
        if self.now_ts is None or self.table.bucket is None:
            return []
        bucket = self.table.bucket
        moment = utc(self.now_ts)
        self._promote(bucket, moment)
        self._score(bucket)
        self._group(moment)
        alerts = self._lifecycle(moment, bucket)
        # Retiring (memory bounds, measured in windows) can wait a window; freezing cannot.
        last = self.retired_bucket
        if last is None or bucket - last >= self.cfg.window_buckets or bucket < last:
            self.retired_bucket = bucket
            self._retire(bucket, moment)
        if self._frozen_bucket != bucket:
            self._frozen_bucket = bucket
            self._freeze_told()
        return alerts

    def _freeze_told(self) -> None:
        """A story being told is not what its phrases usually do: their baselines wait."""
        frozen = self.table.frozen
        frozen[:] = False
        for n in self.narrs.values():
            if n.state in (Lifecycle.VIRAL, Lifecycle.COOLING):
                frozen[[c.slot for c in n.members]] = True

    def _promote(self, bucket: int, moment: datetime) -> None:
        t, cfg = self.table, self.cfg
        if self.pending:
            hashes = np.fromiter(self.pending, dtype=np.uint64, count=len(self.pending))
            self.pending.clear()
            t.admit(hashes)
            found = t.index.lookup(hashes)
            self._track(found[found >= 0], bucket, moment)
        if not self._armed():
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
        share = t.share(sel, bucket)
        strength = np.zeros(sel.size)
        # Three time scales: the scoring window (an hour), and counts decayed like the fast
        # and the slow memory (thousands and tens of thousands of posts, hours to days).
        for m, e in (
            (t.wsum[sel].astype(np.float64), share * t.window_volume(bucket)),
            (t.fast_count[sel].astype(np.float64), share * t.fast_volume),
            (t.slow_count[sel].astype(np.float64), share * t.slow_volume),
        ):
            ratio = (m + 1.0) / (e + 1.0)
            z = 2.0 * (np.sqrt(m + 0.375) - np.sqrt(e + 0.375))
            ok = (m >= cfg.promote_mentions) & (ratio >= cfg.promote_ratio) & (z >= cfg.promote_z)
            strength = np.maximum(strength, np.where(ok, ratio, 0.0))
        keep = strength > 0
        sel, strength = sel[keep], strength[keep]
        if sel.size == 0:
            return
        room = cfg.max_candidates - len(self.by_slot)
        if room < sel.size:
            room += self._make_room(sel.size - room, bucket)
        order = np.lexsort((t.keys[sel], -strength))[: max(room, 0)]
        self._track(sel[order], bucket, moment)

    def _track(self, slots: np.ndarray, bucket: int, moment: datetime) -> None:
        t = self.table
        usual = t.learned(slots).tolist()
        for slot, share in zip(slots.tolist(), usual, strict=True):
            if slot in self.by_slot:
                continue
            cand = Candidate(int(t.keys[slot]), slot, moment, bucket, self.posts_ingested)
            cand.usual = float(share)
            self.shelf.fill(cand, bucket)
            self._find_leader(cand, int(t.admitted[slot]))
            self.by_slot[slot] = cand
            t.hot[slot] = True

    def _make_room(self, wanted: int, bucket: int) -> int:
        """Stop tracking the weakest phrases that belong to no narrative."""
        weak = sorted(
            (c for c in self.by_slot.values() if c.narrative is None and c.promoted < bucket),
            key=lambda c: (c.score, c.weight, c.promoted),
        )[:wanted]
        for cand in weak:
            self._untrack(cand)
            self.benched[cand.slot] = bucket + self.cfg.window_buckets
        return len(weak)

    def _untrack(self, cand: Candidate, loose: bool = False) -> None:
        del self.by_slot[cand.slot]
        self.shelf.put(cand, loose)
        self.table.hot[cand.slot] = False
        if self._nest is not None:
            self._nest.remove(cand)
        if self._awake is not None:
            self._awake.discard(cand.slot)

    def _find_leader(self, cand: Candidate, admitted: int) -> None:
        if not self.leader_posts or self.now_ts is None:
            return
        # A leader's *fresh* coinage: a phrase the stream already used is not theirs to seed.
        if float(self.table.share(np.array([cand.slot]), self.table.bucket or 0)[0]) > (
            self.cfg.fresh_share
        ):
            return
        horizon = self.now_ts - self.cfg.leader_lookback_hours * 3600
        for lp in self.leader_posts:
            # The leader must have used the phrase before it took off (by its admission bucket).
            if lp.ts >= horizon and lp.bucket <= admitted + 1 and cand.key in lp.phrases:
                cand.leader = lp.author
                cand.seed_post = lp.sample
                return

    def _score(self, bucket: int) -> None:
        # Everything is rescored once per bucket; between bucket boundaries only phrases that
        # took new adopters or could matter soon (a live narrative, or already half-way).
        full = self.scored_bucket != bucket
        self.scored_bucket = bucket
        floor = self.cfg.emerging_threshold / 2
        # A phrase without new adopters cannot gain a score by waiting; one below the floor
        # only fades, which matters for retiring it, so that is refreshed once a window. One
        # adopted by many (a common word), still far from a score, waits for the bucket's end.
        fade = full and bucket % self.cfg.window_buckets == 0
        by_slot = self.by_slot
        if self._awake is None:
            self._awake = {s for s, c in by_slot.items() if c.dirty or c.score >= floor}
        look = set(self._awake)
        for n in self.narrs.values():
            look.update(c.slot for c in n.members)
        if fade:
            look.update(s for s, c in by_slot.items() if c.score > 0)
        cands = [
            c
            for c in (by_slot[s] for s in sorted(look) if s in by_slot)
            if c.canonical is not None
            and (
                c.narrative is not None
                or c.score >= floor
                or (c.dirty and (full or len(c.adopt_times) <= SMALL))
                or (fade and c.score > 0)
            )
        ]
        if not cands:
            return
        assert self.now_ts is not None
        t, cfg = self.table, self.cfg
        slots = np.array([c.slot for c in cands], dtype=np.int64)
        shares = self._shares(cands, slots, bucket).tolist()
        mentions = t.window_counts(slots, bucket).tolist()
        oldest = bucket - cfg.window_buckets + 1
        mark = self.posts_ingested
        for cand, share, m in zip(cands, shares, mentions, strict=True):
            cand.dirty = False
            cand.prune(oldest, cfg.author_memory)
            ev = scan(
                cand.adopt_times,
                cand.adopt_weights,
                cand.adopt_marks,
                now_ts=self.now_ts,
                now_mark=mark,
                share=share,
                tolerance=cfg.tolerance,
                max_seconds=cand.scale or cfg.max_window_hours * 3600,
            )
            cand.evidence = ev
            sig = Signals(
                evidence=ev,
                sources=tuple(sorted(cand.sources)),
                engagement=sum(cand.engagement.values()),
                leader=cand.leader if clustering.distinctive(cand) else None,
                common=self._common(cand),
                mentions=int(m),
            )
            cand.signals = sig
            cand.score = score(sig, cfg)
        if self._nest is None:
            self._nest = clustering.NestIndex(by_slot.values())
        zeroed = [*clustering.nested(self._nest, cands), *self._extensions(cands)]
        for part in zeroed:
            part.score = 0.0  # a fragment or a rare extension of a tracked phrase is not a story
        for cand in [*cands, *zeroed]:
            if cand.dirty or cand.score >= floor:
                self._awake.add(cand.slot)
            else:
                self._awake.discard(cand.slot)

    def _shares(self, cands: list[Candidate], slots: np.ndarray, bucket: int) -> np.ndarray:
        """Each phrase's expected share of posts, with two priors for a short history.

        A plain word is judged against its share of everything seen so far, burst included:
        a word of the language is rarely news. A phrase of several words is expected at least
        as often as its words meet by chance (their shares multiplied, per word of a post), so
        two common words side by side are not a coinage.
        """
        t = self.table
        shares = t.share(slots, bucket)
        words_per_post = max(self.tokens / max(self.posts_ingested, 1), 1.0)
        for i, cand in enumerate(cands):
            if self._common(cand):
                overall = float(t.slow_count[cand.slot]) / max(t.slow_volume, 1.0)
                shares[i] = max(shares[i], overall)
            elif len(cand.words) >= 2:
                if cand.parts is None:
                    cand.parts = word_keys(cand.words)
                chance = float(np.prod(t.overall(cand.parts)))
                shares[i] = max(shares[i], chance / words_per_post ** (cand.n_tokens - 1))
        return shares

    def _common(self, cand: Candidate) -> bool:
        """A plain word the stream uses routinely: it needs far more evidence than a coinage.

        Until the baselines have seen half their memory, every plain word counts as common (a
        new bot knows no history). After that, a plain word is common if, when it was
        tracked, the stream used it in at least one post in a thousand ("time", "flight"); a
        word that was rare then ("prism" before the leak) is news.

        So is a phrase people have used for long without it becoming a story: one that, in its
        earlier tracked lives, had ``ESTABLISHED`` times the adopters a story needs (a phrase
        growing slowly all day is part of the language by evening).
        """
        if cand.past_weight >= ESTABLISHED * self.cfg.min_adopters:
            return True
        if not clustering.ordinary(cand):
            return False
        return self.table.history < 0.5 or cand.usual >= self.cfg.common_share

    def _extensions(self, cands: Iterable[Candidate]) -> list[Candidate]:
        """Phrases that are another phrase plus a word found everywhere ("summon ghost lonex").

        Lift against the parts: if "A B w" is no more common beside "A B" than the word "w"
        is common anywhere (times ``EXTENSION_LIFT``), the phrase is "A B" with a neighbour.
        """
        t = self.table
        words_per_post = max(self.tokens / max(self.posts_ingested, 1), 1.0)
        out = []
        for cand in cands:
            words = list(cand.words)
            if cand.score < clustering.SUPPRESS_FROM or len(words) < 2:
                continue
            mine = float(t.overall(np.array([cand.key], dtype=np.uint64))[0])
            for cut in (1, -1):
                part = words[1:] if cut == 1 else words[:-1]
                # A part may not start or end with a stopword or particle ("の推論" -> "推論").
                while part and is_edge_stop(part[0]):
                    part = part[1:]
                while part and is_edge_stop(part[-1]):
                    part = part[:-1]
                if not part:
                    continue
                extra = words[: len(words) - len(part)] if cut == 1 else words[len(part) :]
                keys = np.array([phrase_key(part), *word_keys(extra).tolist()], dtype=np.uint64)
                shares = t.overall(keys)
                chance = float(np.prod(shares[1:])) / words_per_post ** len(extra)
                if shares[0] > 0 and mine < EXTENSION_LIFT * chance * float(shares[0]):
                    out.append(cand)
                    break
        return out

    def _group(self, moment: datetime) -> None:
        loose_min = self.cfg.emerging_threshold / 2  # the floor of _score: such phrases are awake
        awake = (self.by_slot[s] for s in self._awake or ())
        loose = sorted(
            (
                c
                for c in awake
                if c.narrative is None and c.canonical is not None and c.score >= loose_min
            ),
            key=lambda c: c.key,
        )
        if not loose and not self.narrs:
            return
        live = [n for n in self._sorted_narratives() if n.state is not Lifecycle.DORMANT]
        # Told stories, dormant ones too: a word whose evidence is a story's burst is its
        # company until that burst has left its window.
        told = [n for n in self._sorted_narratives() if n.episode]
        post_sets = {n.key: set().union(*(m.posts for m in n.members)) for n in {*live, *told}}
        if loose:
            self._place(loose, live, told, post_sets)
        # Also on ticks without new phrases: the evidence that joins two forms (or shows a
        # plain word to be company) keeps arriving while they are being taken up.
        self._merge_forms()
        self._quiet_company(told, post_sets)

    def _place(
        self,
        loose: list[Candidate],
        live: list[Narrative],
        told: list[Narrative],
        post_sets: dict[str, set[int]],
    ) -> None:
        """Loose phrases join a live narrative they belong to, or group into new ones."""
        remaining: list[Candidate] = []
        for cand in loose:
            if not clustering.distinctive(cand):
                if not self._company(cand, told, post_sets):
                    remaining.append(cand)
                continue
            for n in live:
                if clustering.attaches(cand, post_sets[n.key], n.members):
                    n.add(cand)
                    break
            else:
                remaining.append(cand)
        for group in clustering.groups(remaining):
            if max(c.score for c in group) < self.cfg.emerging_threshold:
                continue
            label = clustering.label_of(group)
            key = (label.canonical or "")[:NARRATIVE_KEY_CHARS]
            # Same key, other phrase (a cut key): join it; the first anchor stays.
            target = self.narrs.get(key)
            if target is None:
                episode, last = self.history.pop(key, (0, None))
                target = Narrative(key, min(c.first_seen for c in group), label, episode)
                target.last_alert = None if last is None else utc(last)
                if episode:
                    target.state = Lifecycle.DORMANT
                self.narrs[key] = target
            for cand in group:
                target.add(cand)

    def _company(
        self, cand: Candidate, told: list[Narrative], post_sets: dict[str, set[int]]
    ) -> bool:
        """A plain word seen beside a told story is its company, not a form of it.

        Joined, it would keep the story alive and pull other stories in through its posts; on
        its own, it would tell the story again ("sony" beside "used games" and "ps4"). Judged
        by its posts in its evidence window: its older ones are about something else.
        """
        since = self.posts_ingested - cand.evidence.window_posts
        recent = [k for k in cand.posts if k >= since]
        return any(clustering.accompanies(recent, post_sets[n.key]) for n in told)

    def _quiet_company(self, told: list[Narrative], post_sets: dict[str, set[int]]) -> None:
        """Let go of untold narratives of plain words that turned out a told story's company."""
        if not told:
            return
        for n in [n for n in self.narrs.values() if not n.episode]:
            plain = not any(clustering.distinctive(c) for c in n.members)
            if plain and self._company(n.anchor, told, post_sets):
                self._drop(n)

    def _merge_forms(self) -> None:
        """Join a narrative that has not alerted yet into a live one that is the same story.

        Forms of one story can start as narratives of their own before the evidence that joins
        them exists (the first bilingual post, the first hashtag); once it does, the younger
        joins the older, so the story alerts once.
        """
        live = [n for n in self._sorted_narratives() if n.state is not Lifecycle.DORMANT]
        for young in sorted(live, key=lambda n: (n.first_seen, n.key), reverse=True):
            if young.episode or young.key not in self.narrs:
                continue
            for old in live:
                if old is young or old.key not in self.narrs or old.first_seen > young.first_seen:
                    continue
                if any(
                    clustering.tag_linked(a, b)
                    or clustering.tag_linked(b, a)
                    or clustering.cross_linked(a, b)
                    for a in young.members
                    for b in old.members
                ):
                    del self.narrs[young.key]
                    for cand in young.members:
                        old.add(cand)
                    break

    def _advance_clock(self, newest: float, first: float) -> float:
        if self.start_ts is None:
            self.start_ts = first
        if self.now_ts is None:
            self.now_ts = first
        if newest > self.now_ts:
            gap = newest - self.now_ts
            # A jump (a first post from 1999, a replay of a later year) is not history.
            self.seen_seconds += gap if gap <= MAX_COUNTED_GAP else 0.0
            self.now_ts = newest
        return self.now_ts

    def _armed(self) -> bool:
        return self.seen_seconds >= self.cfg.warmup_minutes * 60

    def _sorted_narratives(self) -> list[Narrative]:
        return [self.narrs[k] for k in sorted(self.narrs)]

    def _lifecycle(self, moment: datetime, bucket: int) -> list[AlertEvent]:
        armed = self._armed()
        alerts: list[AlertEvent] = []
        for n in self._sorted_narratives():
            top = n.top
            accel = acceleration(top.evidence) if top else 0.0
            slowing = top is not None and slowed(top.evidence)
            if step(n, n.score, accel, moment, self.cfg, armed, slowing):
                n.attribute()
                detected = top.evidence.window_seconds if top else 0.0
                scale = max(2.0 * detected, MIN_SCALE_SECONDS)
                for cand in n.members:
                    cand.scale = scale
                self.alerts_fired += 1
                alerts.append(AlertEvent(self._view(n, bucket), moment, n.episode))
        return alerts

    def _retire(self, bucket: int, moment: datetime) -> None:
        """Drop per-author state that no longer matters; keep memory bounded."""
        cfg, t = self.cfg, self.table
        # "Quiet for a while": for a window of time and for the fast memory's posts, so a
        # sparse stream (a few posts a minute) keeps a story's phrases for hours, not one hour.
        proof_posts = cfg.sketch_half_life_posts
        stale = min(bucket - cfg.window_buckets, self._bucket_posts_ago(proof_posts))
        idle = bucket - max(
            cfg.window_buckets, int(cfg.max_window_hours * 3600) // cfg.bucket_seconds
        )
        for slot, cand in list(self.by_slot.items()):
            n = self.narrs.get(cand.narrative) if cand.narrative else None
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
                and self.posts_ingested - cand.promoted_posts >= proof_posts
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
                        self._drop(n)  # its episode count survives in history
                # A loose phrase that leaves with adopters but no story adds them to its past.
                self._untrack(cand, loose=n is None)
            elif cand.canonical is None and t.last_hit[slot] < stale:
                self._untrack(cand)
        for n in list(self.narrs.values()):
            idle_n = (
                n.last_alert is None or (moment - n.last_alert).total_seconds() > RETIRE_SECONDS
            )
            if n.state in (Lifecycle.DORMANT, Lifecycle.QUIET) and idle_n and n.score < 1:
                self._drop(n)

    def _bucket_posts_ago(self, posts: float) -> int:
        """The newest bucket at whose start the stream had seen at least ``posts`` fewer posts."""
        marks = self.marks
        if not marks:
            return 0
        return marks[0][0] if self.posts_ingested - marks[0][1] >= posts else marks[0][0] - 1

    def _mark(self, bucket: int) -> None:
        """Remember where each bucket began in posts, as far back as the fast memory reaches."""
        marks = self.marks
        if not marks or marks[-1][0] < bucket:
            marks.append((bucket, self.posts_ingested))
        keep = self.cfg.sketch_half_life_posts
        while len(marks) > 1 and self.posts_ingested - marks[1][1] >= keep:
            marks.popleft()

    def _drop(self, n: Narrative) -> None:
        """Stop tracking a narrative; its members become loose phrases again."""
        for cand in n.members:
            cand.narrative = None
        del self.narrs[n.key]
        if n.episode:
            last = None if n.last_alert is None else n.last_alert.timestamp()
            self.history[n.key] = (n.episode, last)
            while len(self.history) > MAX_HISTORY:
                del self.history[next(iter(self.history))]

    # -- views --------------------------------------------------------------------------------
    def _view(self, n: Narrative, bucket: int) -> NarrativeView:
        members = sorted(n.members, key=lambda c: (-c.score, c.canonical or ""))
        top = members[0] if members else None
        head = clustering.headline(n.members) or n.anchor
        breakdown = explain(top.signals, self.cfg) if top and top.signals else Breakdown.EMPTY
        posts: dict[str, SamplePost] = {}
        firsts = [c.first_post for c in members if c.first_post]
        if n.seed_post is not None:
            firsts.insert(0, n.seed_post)
        if firsts:
            first = min(firsts, key=lambda s: (s.created_at, s.id))
            posts[first.id] = first
        for sample in sorted(
            (s for c in members for s in c.top), key=lambda s: (-s.engagement, s.created_at, s.id)
        ):
            if len(posts) >= 5:
                break
            posts.setdefault(sample.id, sample)
        bs = self.cfg.bucket_seconds
        # The anchor is always tracked (hot) while the narrative exists: its slot is its own.
        series = tuple((utc(b * bs), c) for b, c in self.table.series(n.anchor.slot, bucket))
        leader = n.leader
        breakdown = dataclasses.replace(breakdown, leader=leader)
        ev = top.evidence if top else None
        return NarrativeView(
            key=n.key,
            label=head.surface or n.key,
            phrase=head.canonical or n.key,
            phrases=tuple(clustering.member_phrases(members, keep=head)),
            state=n.state,
            score=n.score,
            breakdown=breakdown,
            episode=n.episode,
            first_seen=n.first_seen,
            leader=leader,
            seed_post=n.seed_post,
            authors=ev.distinct if ev else 0,
            mentions=breakdown.mentions,
            sources=tuple(sorted({s for c in members for s in c.sources})),
            series=series,
            top_posts=tuple(posts.values()),
        )

    def narratives(self, limit: int | None = None) -> list[NarrativeView]:
        """Tracked non-quiet narratives, best first."""
        if self.table.bucket is None:
            return []
        live = [n for n in self.narrs.values() if n.state is not Lifecycle.QUIET and n.members]
        live.sort(key=lambda n: (-n.score, n.key))
        return [self._view(n, self.table.bucket) for n in live[:limit]]

    def find(self, query: str) -> NarrativeView | None:
        """A tracked narrative whose key, phrase, member phrase or label matches the query."""
        q = canonicalize(query)
        if not q or self.table.bucket is None:
            return None
        squashed = clustering.compound(q)
        for n in sorted(self.narrs.values(), key=lambda n: (-n.score, n.key)):
            names = {n.key, *(c.canonical for c in n.members)}
            labels = {canonicalize(c.surface) for c in n.members}
            compounds = {clustering.compound(c.canonical or "") for c in n.members}
            if q in names or q in labels or squashed in compounds:
                return self._view(n, self.table.bucket)
        return None

    def stats(self) -> dict[str, int | float]:
        return {
            "posts": self.posts_ingested,
            "phrase_occurrences": self.occurrences,
            "phrases_exact": self.table.used,
            "candidates": len(self.by_slot),
            "narratives": len(self.narrs),
            "alerts": self.alerts_fired,
            "vocab_chunks": self.vocab.n_chunks,
            "sketch_bytes": self.table.sketch.nbytes,
            "leader_posts": len(self.leader_posts),
            "skewed_posts": self.skewed,
        }
