"""Leaders and the phrases they seed: whose posts count as a leader's, and what they wrote.

A tracked leader's recent posts are remembered (bounded) so a phrase that takes off can be
credited to the leader who used it first, and a leader's fresh phrases are tracked at once
so their first adopters count. Kept apart from the engine because it is its own small state
(who the leaders are, their posts, phrases waiting to be tracked) with its own rules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np

from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate, drop_one
from bot.engine.config import EngineConfig
from bot.engine.text import Extraction
from bot.engine.types import SamplePost
from bot.leaders import LeaderFormatError, entry_ids, post_identity
from bot.posts import Post

LEADER_PHRASES = 64  # phrases of one leader post tracked at once


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


class Leaders:
    """The tracked leaders, their recent posts, and their phrases waiting to be tracked."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.ids: frozenset[str] = frozenset()
        self.posts: deque[LeaderPost] = deque(maxlen=cfg.max_leader_posts)
        self._ids: dict[str, int] = {}  # ids of the remembered posts (how many times each)
        self.pending: set[int] = set()  # phrase hashes of fresh leader posts, tracked next tick
        self._cache: dict[tuple[str, str], str | None] = {}

    def assign(self, entries: Iterable[str]) -> set[str]:
        """Track exactly these leaders; forget posts of the others. Returns the display handles."""
        self.ids = leader_ids(entries)
        self._cache = {}
        handles = self.handles()
        kept = [lp for lp in self.posts if lp.author in handles]
        if len(kept) != len(self.posts):
            self.posts = deque(maxlen=self.posts.maxlen)
            self._ids = {}
            for lp in kept:
                self.remember(lp)
        return handles

    def remember(self, lp: LeaderPost) -> None:
        """Keep one leader post (the oldest goes once ``max_leader_posts`` are kept)."""
        if len(self.posts) == self.posts.maxlen:
            drop_one(self._ids, self.posts[0].sample.id)
        self.posts.append(lp)
        self._ids[lp.sample.id] = self._ids.get(lp.sample.id, 0) + 1

    def quoted(self, post: Post) -> str | None:
        """The id of the remembered leader post that ``post`` quotes or replies to, if any."""
        target = post.quotes
        return target if target is not None and target in self._ids else None

    def handles(self) -> set[str]:
        return {ident.split(":", 1)[1] for ident in self.ids}

    def of(self, post: Post) -> str | None:
        """The leader's display handle when ``post`` is by a tracked leader on that network."""
        key = (post.source, post.author)
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) > 200_000:
            self._cache.clear()
        ident = post_identity(post.source, post.author.strip().lstrip("@"))
        found = ident.split(":", 1)[1] if ident in self.ids else None
        self._cache[key] = found
        return found

    def record(
        self, ext: Extraction, ts: np.ndarray, buckets: np.ndarray, posts: Sequence[Post]
    ) -> None:
        """Remember the batch's leader posts and queue their phrases for tracking."""
        for p, post in enumerate(posts):
            handle = self.of(post)
            if handle is None:
                continue
            mine = ext.post == p
            phrases = frozenset(ext.phrase[mine].tolist())
            self.remember(
                LeaderPost(float(ts[p]), int(buckets[p]), handle, SamplePost.of(post), phrases)
            )
            # A leader's fresh phrases are tracked at once, so their first adopters count.
            multi = ext.phrase[mine & (ext.length > 1)].tolist()
            self.pending.update(multi[:LEADER_PHRASES])

    def seed(
        self, cand: Candidate, admitted: int, table: PhraseTable, now_ts: float | None
    ) -> None:
        """Credit ``cand`` to the leader whose recent post used it before it took off."""
        if not self.posts or now_ts is None:
            return
        # A leader's *fresh* coinage: a phrase the stream already used is not theirs to seed.
        if float(table.share(np.array([cand.slot]), table.bucket or 0)[0]) > (self.cfg.fresh_share):
            return
        horizon = now_ts - self.cfg.leader_lookback_hours * 3600
        for lp in self.posts:
            # The leader must have used the phrase before it took off (by its admission bucket).
            if lp.ts >= horizon and lp.bucket <= admitted + 1 and cand.key in lp.phrases:
                cand.leader = lp.author
                cand.seed_post = lp.sample
                return
