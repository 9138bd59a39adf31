"""Exact per-author state for the few phrases that look like they are bursting."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any

from bot.engine.scoring import Signals
from bot.engine.types import SamplePost
from bot.posts import Post

MAX_SURFACES = 8
CO_POSTS = 200  # recent post keys kept for co-occurrence clustering
TOP_POSTS = 4


class Candidate:
    """A tracked phrase: authors (once per window), sources, engagement, sample posts."""

    __slots__ = (
        "adopters",
        "authors",
        "breakdown",
        "canonical",
        "engagement",
        "first_post",
        "first_seen",
        "key",
        "last_post",
        "leader",
        "n_tokens",
        "narrative",
        "posts",
        "promoted",
        "score",
        "seed_post",
        "signals",
        "slot",
        "sources",
        "surface_hits",
        "surfaces",
        "top",
    )

    def __init__(self, key: int, slot: int, first_seen: datetime, promoted: int = 0) -> None:
        self.key = key
        self.promoted = promoted  # bucket of promotion
        self.slot = slot
        self.first_seen = first_seen
        self.canonical: str | None = None
        self.n_tokens = 0
        self.authors: dict[str, list[int]] = {}  # author -> [last bucket, text sig, count]
        self.sources: dict[str, int] = {}  # source -> last bucket
        self.engagement: dict[int, int] = {}  # bucket -> engagement sum
        self.posts: deque[int] = deque(maxlen=CO_POSTS)
        self.last_post = -1
        self.surfaces: dict[str, int] = {}
        self.surface_hits = 0
        self.first_post: SamplePost | None = None
        self.top: list[SamplePost] = []
        self.leader: str | None = None
        self.seed_post: SamplePost | None = None
        self.adopters = 0
        self.narrative: str | None = None
        self.score = 0.0
        self.breakdown: dict[str, Any] = {}
        self.signals: Signals | None = None

    def hit(self, post: Post, post_key: int, bucket: int, sig: int) -> None:
        """Record one post mentioning the phrase (repeats within a post are ignored)."""
        if post_key == self.last_post:
            return
        self.last_post = post_key
        self.posts.append(post_key)
        entry = self.authors.get(post.author)
        if entry is None:
            self.authors[post.author] = [bucket, sig, 1]
        else:
            if entry[0] < bucket:
                entry[0] = bucket
            entry[1] = sig
            entry[2] += 1
        self.sources[post.source] = bucket
        engagement = post.likes + post.reposts + post.replies
        self.engagement[bucket] = self.engagement.get(bucket, 0) + engagement
        if self.first_post is None:
            self.first_post = SamplePost.of(post)
        elif engagement > 0 and (len(self.top) < TOP_POSTS or engagement > self.top[-1].engagement):
            self.top.append(SamplePost.of(post))
            self.top.sort(key=lambda s: (-s.engagement, s.created_at, s.id))
            del self.top[TOP_POSTS:]

    def add_surface(self, surface: str) -> None:
        self.surface_hits += 1
        if surface in self.surfaces or len(self.surfaces) < MAX_SURFACES:
            self.surfaces[surface] = self.surfaces.get(surface, 0) + 1

    @property
    def surface(self) -> str:
        if not self.surfaces:
            return self.canonical or ""
        return max(self.surfaces.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def prune(self, oldest: int) -> None:
        """Forget authors, sources and engagement older than the scoring window."""
        self.authors = {a: e for a, e in self.authors.items() if e[0] >= oldest}
        self.sources = {s: b for s, b in self.sources.items() if b >= oldest}
        self.engagement = {b: v for b, v in self.engagement.items() if b >= oldest}

    def author_stats(
        self, ring_weight: float, leaders: frozenset[str]
    ) -> tuple[int, float, float, int]:
        """(authors, effective authors, top author share, non-leader adopters) in the window."""
        groups: dict[int, int] = {}
        total = top = adopters = 0
        for author, (_, sig, count) in self.authors.items():
            groups[sig] = groups.get(sig, 0) + 1
            total += count
            top = max(top, count)
            if author.lower().lstrip("@") not in leaders:
                adopters += 1
        effective = sum(1.0 + ring_weight * (n - 1) for n in groups.values())
        return len(self.authors), effective, (top / total if total else 0.0), adopters
