"""NarrativeEngine: posts in, ranked narratives and one alert per viral episode out.

Pipeline per ``ingest`` batch (all in stream time, no I/O):
  text.extract          posts -> phrase occurrences (numpy)          \\ the aggregation seam:
  PhraseTable.add       sketch + exact per-bucket counts per phrase  / ``ingest_extraction``
  Candidate.hit         per-author state, only for promoted phrases
and per ``tick``: promote bursting phrases, score, group into narratives, run the lifecycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.engine import clustering
from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.folding import canonicalize
from bot.engine.lifecycle import Narrative, step
from bot.engine.scoring import Signals, acceleration, score
from bot.engine.text import Extraction, Vocab, extract, phrase_text
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView, SamplePost
from bot.posts import Post

SURFACE_SAMPLES = 64  # hits per candidate whose surface text is recorded for labels
RECENT_BUCKETS = 3
MAX_HISTORY = 10_000  # retired narratives remembered (episode counts survive)
RETIRE_AFTER = timedelta(hours=24)


class LeaderPost:
    __slots__ = ("author", "bucket", "phrases", "sample", "ts")

    def __init__(
        self, ts: float, bucket: int, author: str, sample: SamplePost, phrases: frozenset[int]
    ) -> None:
        self.ts = ts
        self.bucket = bucket
        self.author = author
        self.sample = sample
        self.phrases = phrases


def _handle(name: str) -> str:
    return name.strip().lstrip("@").casefold()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


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
        self.benched: dict[int, int] = {}  # slot -> bucket until which it may not be re-promoted
        self.scored_bucket: int | None = None
        self.narrs: dict[str, Narrative] = {}
        self.history: dict[str, tuple[int, float | None]] = {}
        self.start_ts: float | None = None
        self.now_ts: float | None = None
        self.posts_ingested = 0
        self.occurrences = 0
        self.alerts_fired = 0

    # -- configuration ------------------------------------------------------------------------
    def set_leaders(self, handles: Iterable[str]) -> None:
        """Track exactly ``handles``; remembered posts of anyone else are forgotten.

        A removed leader must not seed narratives from posts made while still tracked (and
        re-adding them later does not bring those posts back). Narratives already seeded keep
        their leader.
        """
        self.leaders = frozenset(h for h in (_handle(x) for x in handles) if h)
        self._leader_cache: dict[str, bool] = {}
        kept = [lp for lp in self.leader_posts if lp.author in self.leaders]
        if len(kept) != len(self.leader_posts):
            self.leader_posts = deque(kept, maxlen=self.leader_posts.maxlen)

    @property
    def now(self) -> datetime | None:
        return None if self.now_ts is None else _dt(self.now_ts)

    def _bucket(self, ts: float) -> int:
        return int(ts // self.cfg.bucket_seconds)

    # -- ingest -------------------------------------------------------------------------------
    def ingest(self, posts: Sequence[Post]) -> None:
        """Count a batch of posts (any order within a few hours; event time only)."""
        if not posts:
            return
        ext = extract([p.text for p in posts], self.vocab)
        ts = np.fromiter(
            (p.created_at.timestamp() for p in posts), dtype=np.float64, count=len(posts)
        )
        self.ingest_extraction(ext, ts, posts)

    def ingest_extraction(self, ext: Extraction, ts: np.ndarray, posts: Sequence[Post]) -> None:
        """Aggregate an extracted batch (the seam: extraction may run in another process)."""
        newest = float(ts.max())
        if self.start_ts is None:
            self.start_ts = float(ts.min())
        if self.now_ts is None or newest > self.now_ts:
            self.now_ts = newest
        buckets = (ts // self.cfg.bucket_seconds).astype(np.int64)
        self.table.advance(self._bucket(self.now_ts))
        slots = self.table.add(ext.phrase, buckets[ext.post])
        base = self.posts_ingested
        if self.leaders:
            self._record_leader_posts(ext, ts, buckets, posts)
        if self.by_slot and slots.size:
            hot = self.table.hot[np.maximum(slots, 0)] & (slots >= 0)
            idx = np.flatnonzero(hot)
            if idx.size:
                self._hits(ext, idx, slots, buckets, posts, base)
        self.posts_ingested += len(posts)
        self.occurrences += int(ext.phrase.size)

    def _hits(
        self,
        ext: Extraction,
        idx: np.ndarray,
        slots: np.ndarray,
        buckets: np.ndarray,
        posts: Sequence[Post],
        base: int,
    ) -> None:
        sigs = ext.text_sig
        by_slot = self.by_slot
        for i, slot, p in zip(
            idx.tolist(), slots[idx].tolist(), ext.post[idx].tolist(), strict=True
        ):
            cand = by_slot[slot]
            cand.hit(posts[p], base + p, int(buckets[p]), int(sigs[p]))
            if cand.surface_hits < SURFACE_SAMPLES:
                canonical, surface = phrase_text(
                    ext, self.vocab, int(ext.start[i]), int(ext.length[i])
                )
                if cand.canonical is None:
                    cand.canonical = canonical
                    cand.n_tokens = int(ext.length[i])
                cand.add_surface(surface)

    def _record_leader_posts(
        self, ext: Extraction, ts: np.ndarray, buckets: np.ndarray, posts: Sequence[Post]
    ) -> None:
        cache = self._leader_cache
        if len(cache) > 200_000:
            cache.clear()
        for p, post in enumerate(posts):
            hit = cache.get(post.author)
            if hit is None:
                hit = cache[post.author] = _handle(post.author) in self.leaders
            if hit:
                author = _handle(post.author)
                phrases = frozenset(ext.phrase[ext.post == p].tolist())
                sample = SamplePost.of(post)
                self.leader_posts.append(
                    LeaderPost(float(ts[p]), int(buckets[p]), author, sample, phrases)
                )

    # -- tick ---------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[AlertEvent]:
        """Score, group and advance lifecycles at stream time ``now``; returns new alerts."""
        if now is not None:
            ts = now.timestamp()
            if self.now_ts is None or ts > self.now_ts:
                self.now_ts = ts
                if self.start_ts is None:
                    self.start_ts = ts
            self.table.advance(self._bucket(self.now_ts))
        if self.now_ts is None or self.table.bucket is None:
            return []
        bucket = self.table.bucket
        moment = _dt(self.now_ts)
        self._promote(bucket, moment)
        self._score(bucket)
        self._group(moment)
        alerts = self._lifecycle(moment, bucket)
        self._retire(bucket, moment)
        return alerts

    def _promote(self, bucket: int, moment: datetime) -> None:
        room = self.cfg.max_candidates - len(self.by_slot)
        if room <= 0 or not self._armed():
            return  # before warm-up every phrase looks new: baselines need history first
        t = self.table
        counts = t.wsum
        sel = np.flatnonzero((counts >= self.cfg.promote_mentions) & (t.keys != 0) & ~t.hot)
        if self.benched:
            self.benched = {s: b for s, b in self.benched.items() if b > bucket}
            if self.benched:
                sel = sel[~np.isin(sel, np.fromiter(self.benched, dtype=np.int64))]
        if sel.size == 0:
            return
        m = counts[sel].astype(np.float64)
        e = t.expected(sel, bucket)
        ratio = (m + 1.0) / (e + 1.0)
        z = 2.0 * (np.sqrt(m + 0.375) - np.sqrt(e + 0.375))
        keep = (ratio >= self.cfg.promote_ratio) & (z >= self.cfg.promote_z)
        sel, ratio = sel[keep], ratio[keep]
        order = np.lexsort((t.keys[sel], -ratio))[:room]
        for slot in sel[order].tolist():
            cand = Candidate(int(t.keys[slot]), slot, moment, bucket)
            self._find_leader(cand, int(t.admitted[slot]))
            self.by_slot[slot] = cand
            t.hot[slot] = True

    def _find_leader(self, cand: Candidate, admitted: int) -> None:
        if not self.leader_posts or self.now_ts is None:
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
        # could matter soon (a live narrative, or already half-way to emerging).
        full = self.scored_bucket != bucket
        self.scored_bucket = bucket
        floor = self.cfg.emerging_threshold / 2
        cands = [
            c
            for c in self.by_slot.values()
            if c.canonical is not None and (full or c.narrative is not None or c.score >= floor)
        ]
        if not cands:
            return
        slots = np.array([c.slot for c in cands], dtype=np.int64)
        t, w = self.table, self.cfg.window_buckets
        mentions = t.window_counts(slots, bucket).tolist()
        recent = t.window_counts(slots, bucket, RECENT_BUCKETS).tolist()
        expected = t.expected(slots, bucket).tolist()
        oldest = bucket - w + 1
        for cand, m, r, e in zip(cands, mentions, recent, expected, strict=True):
            cand.prune(oldest)
            authors, effective, top_share, adopters = cand.author_stats(
                self.cfg.ring_weight, self.leaders
            )
            sig = Signals(
                mentions=m,
                expected=e,
                recent=r,
                authors=authors,
                effective_authors=effective,
                top_author_share=top_share,
                sources=tuple(sorted(cand.sources)),
                engagement=sum(cand.engagement.values()),
                leader=cand.leader,
                adopters=adopters,
                recent_buckets=RECENT_BUCKETS,
                window_buckets=w,
            )
            cand.signals = sig
            cand.score, cand.breakdown = score(sig, self.cfg)

    def _group(self, moment: datetime) -> None:
        loose_min = self.cfg.emerging_threshold / 2
        loose = [
            c
            for c in sorted(self.by_slot.values(), key=lambda c: c.key)
            if c.narrative is None and c.canonical is not None and c.score >= loose_min
        ]
        if not loose:
            return
        remaining: list[Candidate] = []
        live = [n for n in self._sorted_narratives() if n.state is not Lifecycle.DORMANT]
        post_sets = {n.key: set().union(*(m.posts for m in n.members)) for n in live}
        for cand in loose:
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
            key = (label.canonical or "")[:200]
            # Same key, other phrase (a 200-char cut): join it; the first anchor stays.
            target = self.narrs.get(key)
            if target is None:
                episode, last = self.history.pop(key, (0, None))
                target = Narrative(key, min(c.first_seen for c in group), label, episode)
                target.last_alert = None if last is None else _dt(last)
                if episode:
                    target.state = Lifecycle.DORMANT
                self.narrs[key] = target
            for cand in group:
                target.add(cand)

    def _armed(self) -> bool:
        if self.now_ts is None or self.start_ts is None:
            return False
        return self.now_ts - self.start_ts >= self.cfg.warmup_minutes * 60

    def _sorted_narratives(self) -> list[Narrative]:
        return [self.narrs[k] for k in sorted(self.narrs)]

    def _lifecycle(self, moment: datetime, bucket: int) -> list[AlertEvent]:
        armed = self._armed()
        alerts: list[AlertEvent] = []
        for n in self._sorted_narratives():
            top = n.top
            accel = acceleration(top.signals) if top and top.signals else 0.0
            if step(n, n.score, accel, moment, self.cfg, armed):
                self.alerts_fired += 1
                alerts.append(AlertEvent(self._view(n, bucket), moment, n.episode))
        return alerts

    def _retire(self, bucket: int, moment: datetime) -> None:
        """Drop per-author state that no longer matters; keep memory bounded."""
        stale = bucket - self.cfg.window_buckets
        t = self.table
        for slot, cand in list(self.by_slot.items()):
            quiet = t.last_hit[slot] < stale and cand.score < 5.0
            n = self.narrs.get(cand.narrative) if cand.narrative else None
            if (
                n is None
                and cand.promoted <= bucket - 3
                and cand.score < self.cfg.emerging_threshold / 3
            ):
                quiet = True  # promoted on a fluctuation that went nowhere
                self.benched[slot] = bucket + self.cfg.window_buckets
            if quiet and (n is None or n.state in (Lifecycle.DORMANT, Lifecycle.QUIET)):
                if n is not None:
                    if cand is not n.anchor:
                        n.members.remove(cand)
                    elif len(n.members) > 1:
                        # The narrative's own phrase leaves last: it names and charts the
                        # narrative, so a co-occurring member never takes over its key.
                        continue
                    else:
                        self._drop(n)  # its episode count survives in history
                del self.by_slot[slot]
                t.hot[slot] = False
            elif cand.canonical is None and t.last_hit[slot] < stale:
                del self.by_slot[slot]
                t.hot[slot] = False
        for n in list(self.narrs.values()):
            idle = n.last_alert is None or moment - n.last_alert > RETIRE_AFTER
            if n.state in (Lifecycle.DORMANT, Lifecycle.QUIET) and idle and n.score < 1:
                self._drop(n)

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
        anchor = n.anchor
        sig = top.signals if top else None
        breakdown = dict(top.breakdown) if top else {}
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
        series = tuple((_dt(b * bs), c) for b, c in self.table.series(anchor.slot, bucket))
        leader = n.leader
        breakdown["leader"] = leader
        return NarrativeView(
            key=n.key,
            label=anchor.surface or n.key,
            phrase=anchor.canonical or n.key,
            phrases=tuple(clustering.member_phrases(members, keep=anchor)),
            state=n.state,
            score=n.score,
            breakdown=breakdown,
            episode=n.episode,
            first_seen=n.first_seen,
            leader=leader,
            seed_post=n.seed_post,
            authors=sig.authors if sig else 0,
            mentions=int(sig.mentions) if sig else 0,
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
        for n in sorted(self.narrs.values(), key=lambda n: (-n.score, n.key)):
            names = {n.key, *(c.canonical for c in n.members)}
            labels = {canonicalize(c.surface) for c in n.members}
            if q in names or q in labels:
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
        }

    # -- persistence --------------------------------------------------------------------------
    def checkpoint(self) -> bytes:
        from bot.engine.checkpoint import dump

        return dump(self)

    @classmethod
    def restore(
        cls, data: bytes, config: EngineConfig | None = None, leaders: Iterable[str] = ()
    ) -> NarrativeEngine:
        from bot.engine.checkpoint import load

        return load(cls, data, config, leaders)
