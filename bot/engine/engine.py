"""NarrativeEngine: posts in, ranked narratives and one alert per viral episode out.

Pipeline per ``ingest`` batch (all in stream time, no I/O):
  text.extract          posts -> phrase occurrences (numpy)          \\ the aggregation seam:
  PhraseTable.add       sketch + exact per-bucket counts per phrase  / ``ingest_extraction``
  Adoption.record       per-author state, only for tracked phrases: who took a phrase up, when
and per ``tick``: track phrases whose share of the stream jumps (at minutes or hours scale),
score each by the sequential adoption test (bot/engine/evidence.py), join the forms of one
story into a narrative (bot/engine/clustering.py), and run the lifecycle.

The work is split by responsibility; this module is the facade and keeps the stream's clock
(and each script's and source's warm-up), the ingest path and the scoring pass:
  bot/engine/adoption.py  which tracked phrase each post takes up, and what it says besides
  bot/engine/seeding.py   leaders, their recent posts and the phrases they seed
  bot/engine/tracking.py  which phrases are tracked author by author (promotion, retirement)
  bot/engine/stories.py   narratives: grouping, lifecycle, retired episodes, views
  bot/engine/priors.py    the test's null where history is short: common words, chance
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from bot.engine import clustering, priors
from bot.engine.adoption import Adoption
from bot.engine.baseline import SCRIPTS, PhraseTable
from bot.engine.candidates import MAX_SOURCES, Candidate, PhraseShelf
from bot.engine.config import EngineConfig
from bot.engine.evidence import SMALL, scan, voiced
from bot.engine.folding import is_cjk
from bot.engine.lifecycle import Narrative
from bot.engine.overheard import Overheard
from bot.engine.priors import StreamAge
from bot.engine.scoring import Signals, score
from bot.engine.seeding import LeaderPost, Leaders
from bot.engine.stories import Stories
from bot.engine.text import (
    Extraction,
    cjk_posts,
    extract,
    phrase_key,
    word_keys,
)
from bot.engine.tokens import is_edge_stop
from bot.engine.tracking import Tracker
from bot.engine.types import AlertEvent, NarrativeView, utc
from bot.engine.vocab import Vocab
from bot.posts import Post

JUMP_AGREEMENT = 16  # posts that must agree before the stream's clock jumps ahead
EXTENSION_LIFT = 4.0  # a phrase this much likelier than its part beside a common word is its own
# A sparse stream's next post may come hours later: a post is "far ahead" only beyond this
# many posts' worth of the stream's own pace (or max_lead_minutes, whichever is longer).
LEAD_POSTS = 64
MAX_COUNTED_GAP = 6 * 3600.0  # a longer gap in the stream does not count towards warm-up
NEWCOMER_SHARE = 0.5  # "mostly" on new networks: this share of a phrase's adoptions or more


class NarrativeEngine:
    """Pure, synchronous narrative detector; see the module docstring."""

    def __init__(self, config: EngineConfig | None = None, leaders: Iterable[str] = ()) -> None:
        self.cfg = config or EngineConfig()
        self.vocab = Vocab()
        self.seeds = Leaders(self.cfg)
        # The posts that can have made a phrase jump: the scoring window's, and as many as the
        # fast memory still holds a sixteenth of (four half-lives; on a busy stream, seconds).
        self.heard = Overheard(
            self.vocab,
            self.cfg.window_buckets * self.cfg.bucket_seconds,
            int(4 * self.cfg.sketch_half_life_posts),
        )
        self.tracker = Tracker(self.cfg, PhraseTable(self.cfg), self.seeds, self.heard)
        self.stories = Stories(self.cfg)
        self.adoption = Adoption(self.cfg, self.vocab, self.tracker, self.seeds)
        self.scored_bucket: int | None = None
        self.retired_bucket: int | None = None
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
        # ... and the stream time each script was written in (its own warm-up), in the phrase
        # table's order of scripts: other scripts first, then Han, hiragana and katakana.
        self.script_seconds = [0.0] * SCRIPTS
        # ... and per source, the stream time seen before its first post: a source added after
        # the warm-up (a network switched on, an API key set) has a warm-up of its own.
        self.source_since: dict[str, float] = {}
        self._frozen_bucket: int | None = None
        self.set_leaders(leaders)

    # -- state the parts own (read by the checkpoint and tests) -------------------------------
    @property
    def table(self) -> PhraseTable:
        return self.tracker.table  # the tracker holds the one reference (a restore sets it there)

    @property
    def by_slot(self) -> dict[int, Candidate]:
        return self.tracker.by_slot

    @property
    def shelf(self) -> PhraseShelf:
        return self.tracker.shelf

    @property
    def marks(self) -> deque[tuple[int, int]]:
        return self.tracker.marks

    @property
    def narrs(self) -> dict[str, Narrative]:
        return self.stories.narrs

    @property
    def leaders(self) -> frozenset[str]:
        return self.seeds.ids

    @property
    def leader_posts(self) -> deque[LeaderPost]:
        return self.seeds.posts

    # -- configuration ------------------------------------------------------------------------
    def set_leaders(self, handles: Iterable[str]) -> None:
        """Track exactly these leaders ("network:handle", or a bare X/Bluesky handle).

        A removed leader must not seed narratives from posts made while still tracked (and
        re-adding them later does not bring those posts back). Narratives already seeded keep
        their leader.
        """
        self.tracker.reseed(self.seeds.assign(handles), self.now_ts)

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
        changes nothing. "Far ahead" is measured on the stream's own pace too: on a feed of 90
        posts a day the next post an hour later is in step, and holding it (and dropping those
        after it) lost a post in seven.
        """
        if self.now_ts is None:
            return list(posts), ts
        pace = self.seen_seconds / max(self.posts_ingested, 1)
        lead = max(self.cfg.max_lead_minutes * 60.0, LEAD_POSTS * pace)
        reference = self.now_ts
        if ts.size >= JUMP_AGREEMENT:
            reference = max(reference, float(np.median(ts)))
        ahead = ts > reference + lead
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
        target = float(np.median(held_ts)) + lead
        agree = held_ts <= target
        kept += [p for p, a in zip(self.held, agree.tolist(), strict=True) if a]
        kept_ts = np.concatenate((kept_ts, held_ts[agree]))
        self.skewed += int((~agree).sum())
        self.held.clear()
        self._in_step_since_hold = 0
        return kept, kept_ts

    def ingest_extraction(self, ext: Extraction, ts: np.ndarray, posts: Sequence[Post]) -> None:
        """Aggregate an extracted batch (the seam: extraction may run in another process)."""
        self._note_sources(posts)
        cjk = cjk_posts(ext, self.vocab)
        # The median only places a stream's first batch (numpy's median costs ~20 µs a call).
        first = float(np.median(ts)) if self.now_ts is None or self.start_ts is None else 0.0
        now = self._advance_clock(float(ts.max()), first, cjk)
        buckets = (ts // self.cfg.bucket_seconds).astype(np.int64)
        self.table.advance(self._bucket(now))
        self.tracker.mark(self._bucket(now), self.posts_ingested)
        self.table.add_posts(buckets, cjk)
        slots = self.table.add(ext.phrase, buckets[ext.post], cjk[ext.post])
        base = self.posts_ingested
        if self.seeds.ids:
            self.seeds.record(ext, ts, buckets, posts)
        if self.tracker.by_slot and slots.size:
            hot = self.table.hot[np.maximum(slots, 0)] & (slots >= 0)
            idx = np.flatnonzero(hot)
            if idx.size:
                young = self._young_sources()
                self.adoption.record(ext, idx, slots, ts, buckets, posts, base, young, cjk)
        self.heard.add(ext, ts, now)
        self.posts_ingested += len(posts)
        self.occurrences += int(ext.phrase.size)
        self.tokens += int(ext.token_ids.size)

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
        armed = self._armed()
        self.tracker.promote(bucket, moment, armed, self.posts_ingested, self.now_ts)
        self._score(bucket)
        self.stories.group(self.tracker.awake_candidates(), self.posts_ingested)
        alerts = self.stories.lifecycle(
            moment, bucket, lambda n: armed and any(map(self._script_armed, n.members)), self.table
        )
        self.alerts_fired += len(alerts)
        # Retiring (memory bounds, measured in windows) can wait a window; freezing cannot.
        last = self.retired_bucket
        if last is None or bucket - last >= self.cfg.window_buckets or bucket < last:
            self.retired_bucket = bucket
            self.tracker.retire(bucket, self.posts_ingested, self.stories)
            self.stories.retire(moment)
        if self._frozen_bucket != bucket:
            self._frozen_bucket = bucket
            self.stories.freeze_told(self.table.frozen)
        return alerts

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
        by_slot = self.tracker.by_slot
        look = set(self.tracker.awake(floor))
        for n in self.stories.narrs.values():
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
        # Judged once, before the scan (on the window the last scan found): the share and the
        # evidence it takes are then read the same way.
        common = [self._common(c) for c in cands]
        words_per_post = self._words_per_post()
        shares = priors.expected_shares(cands, slots, bucket, t, common, words_per_post).tolist()
        mentions = t.window_counts(slots, bucket).tolist()
        oldest = bucket - cfg.window_buckets + 1
        mark = self.posts_ingested
        for cand, share, m, usual in zip(cands, shares, mentions, common, strict=True):
            cand.dirty = False
            if cand.narrative is None and self._by_chance(cand, words_per_post):
                cand.leader = cand.seed_post = None  # no coinage of the leader's (a story's stands)
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
            ev = voiced(ev, len(cand.vocabulary))
            cand.evidence = ev
            sig = Signals(
                evidence=ev,
                sources=tuple(sorted(cand.sources)),
                engagement=sum(cand.engagement.values()),
                leader=cand.leader if clustering.distinctive(cand) else None,
                common=usual,
                mentions=int(m),
            )
            cand.signals = sig
            cand.score = score(sig, cfg)
        zeroed = [
            *clustering.nested(self.tracker.nest(), cands),
            *self._extensions(cands),
            *(c for c in cands if c.score > 0 and clustering.ordinary(c) and c.leans_on()),
        ]
        for part in zeroed:
            # A fragment (of a tracked phrase, or of one its adopters all write: "coin" in
            # "goblin coin") or a rare extension of a tracked phrase is not a story.
            part.score = 0.0
        self.tracker.settle([*cands, *zeroed], floor)

    def _by_chance(self, cand: Candidate, words_per_post: float) -> bool:
        """Whether the stream writes a leader's phrase by chance: then it is no fresh coinage
        of theirs. Either its words meet as often as a phrase the stream already uses, which
        no leader seeds (``fresh_share``: "kisutex temulox", two filler words that meet in one
        post in 3,000), or the stream would have written it since the leader posted it
        ("musakix nosufux", one post in 16,000, taken up ten hours after a leader's post)."""
        if cand.seed_post is None or self.now_ts is None:
            return False
        chance = priors.chance_share(cand, self.table, words_per_post)
        since = max(self.now_ts - cand.seed_post.created_at.timestamp(), 0.0)
        posts = since * self.posts_ingested / max(self.seen_seconds, 1.0)
        return chance >= self.cfg.fresh_share or chance * posts >= 1.0

    def _common(self, cand: Candidate) -> bool:
        """Whether the phrase needs a common word's evidence (bot/engine/priors.py)."""
        n = self.stories.narrs.get(cand.narrative) if cand.narrative is not None else None
        told = n is not None and n.episode > 0
        age = StreamAge(self.now_ts, self.seen_seconds)
        return self._newcomer(cand) or priors.is_common(cand, self.cfg, self.table, age, told)

    def _newcomer(self, cand: Candidate) -> bool:
        """Taken up mostly (half its independent adoptions or more) on networks that joined
        under the baselines' half-life ago: its baseline is mostly from before they wrote
        anything. A word of a new network's own is no story for a few posts of it elsewhere
        ("mudefux": six of its eight adopters on a feed that joined three hours before)."""
        learn = self.cfg.baseline_half_life_hours * 3600
        total = sum(cand.source_weight.values())
        if total <= 0.0:
            return bool(cand.sources) and all(self._joined_within(s, learn) for s in cand.sources)
        young = sum(w for s, w in cand.source_weight.items() if self._joined_within(s, learn))
        return young >= NEWCOMER_SHARE * total

    def _words_per_post(self) -> float:
        return max(self.tokens / max(self.posts_ingested, 1), 1.0)

    def _extensions(self, cands: Iterable[Candidate]) -> list[Candidate]:
        """Phrases that are another phrase plus a word found everywhere ("summon ghost lonex").

        Lift against the parts: if "A B w" is no more common beside "A B" than the word "w"
        is common anywhere (times ``EXTENSION_LIFT``), the phrase is "A B" with a neighbour.
        """
        t = self.table
        words_per_post = self._words_per_post()
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

    def _advance_clock(self, newest: float, first: float, cjk: np.ndarray | None = None) -> float:
        """Move stream time to ``newest``; ``cjk`` (per post of the batch) says which scripts
        the time was written in."""
        if self.start_ts is None:
            self.start_ts = first
        if self.now_ts is None:
            self.now_ts = first
        if newest > self.now_ts:
            gap = newest - self.now_ts
            # A jump (a first post from 1999, a replay of a later year) is not history.
            counted = gap if gap <= MAX_COUNTED_GAP else 0.0
            self.seen_seconds += counted
            if cjk is not None and cjk.size:
                if cjk.any():
                    self.script_seconds[1] += counted
                if not cjk.all():
                    self.script_seconds[0] += counted
            self.now_ts = newest
        return self.now_ts

    def _armed(self) -> bool:
        return self.seen_seconds >= self.cfg.warmup_minutes * 60

    def _script_armed(self, cand: Candidate) -> bool:
        """Whether the phrase's script has been written for the warm-up: a Japanese source
        added to an English stream has no history yet, and its everyday words are not news
        (its forms of a story told in English still join that story)."""
        name = (cand.canonical or "").lstrip("#$")
        script = 1 if is_cjk(name[:1]) else 0
        return self.script_seconds[script] >= self.cfg.warmup_minutes * 60

    def _note_sources(self, posts: Sequence[Post]) -> None:
        known = self.source_since
        if len(known) >= MAX_SOURCES:
            return
        for source in {p.source for p in posts} - known.keys():
            if len(known) >= MAX_SOURCES:
                break
            known[source] = self.seen_seconds

    def _young_sources(self) -> frozenset[str]:
        """Sources that joined less than the warm-up ago.

        Their posts adopt nothing yet: every phrase a new network writes every day would jump
        from no share to its share there ("show hn" when Hacker News is switched on, a word
        rare elsewhere but common there). Meanwhile the baselines learn what the stream with
        the new source looks like.
        """
        warmup = self.cfg.warmup_minutes * 60
        return frozenset(s for s in self.source_since if self._joined_within(s, warmup))

    def _joined_within(self, source: str, seconds: float) -> bool:
        """Whether ``source`` joined the stream later, less than ``seconds`` of it ago.

        A source first seen during the warm-up or the first scoring window is part of the
        stream from its start (with no warm-up configured, the first window still is: no
        baseline has learned anything by then); one past ``MAX_SOURCES`` never joined.
        """
        since = self.source_since.get(source)
        start = max(self.cfg.warmup_minutes * 60, self.cfg.window_buckets * self.cfg.bucket_seconds)
        return since is not None and since >= start and self.seen_seconds - since < seconds

    # -- views --------------------------------------------------------------------------------
    def narratives(self, limit: int | None = None) -> list[NarrativeView]:
        """Tracked non-quiet narratives, best first."""
        return self.stories.views(self.table, limit)

    def find(self, query: str) -> NarrativeView | None:
        """A tracked narrative whose key, phrase, member phrase or label matches the query."""
        return self.stories.find(self.table, query)

    def stats(self) -> dict[str, int | float]:
        return {
            "posts": self.posts_ingested,
            "phrase_occurrences": self.occurrences,
            "phrases_exact": self.table.used,
            "candidates": len(self.tracker.by_slot),
            "narratives": len(self.stories.narrs),
            "alerts": self.alerts_fired,
            "vocab_chunks": self.vocab.n_chunks,
            "sketch_bytes": self.table.sketch.nbytes,
            "leader_posts": len(self.seeds.posts),
            "skewed_posts": self.skewed,
        }
