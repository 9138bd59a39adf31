"""Exact per-author state for the phrases that may be emerging: who adopted them, and when."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from bot.engine.evidence import NO_EVIDENCE, Evidence
from bot.engine.overheard import Said
from bot.engine.scoring import Signals
from bot.engine.types import SamplePost, utc
from bot.posts import Post

K = TypeVar("K")

MAX_SURFACES = 8
SURFACE_SAMPLES = 64  # hits per candidate whose surface text is recorded for labels
CO_POSTS = 200  # recent post keys kept for co-occurrence clustering
TOP_POSTS = 4
MAX_ADOPTIONS = 512  # adoptions kept for the scan (the newest; older ones stop mattering)
RECENT_ADOPTERS = 64  # adopters whose texts a new adopter is compared with (rings)
NEAR_SHARE = 0.6  # a post sharing this much of what it says with one recent adopter's copies it
NEAR_MIN_WORDS = 2  # ... when it says at least this many other words
NOVEL_SHARE = 0.5  # an adopter whose words are this new (by rarity) counts in full
FRAME_SHARED = 3  # places around the phrase a short frame must share with a template
FRAME_HALF = 0.5  # ... and the share of a frame of four places or more (two words swapped)
MAX_VOCABULARY = 8192  # other words remembered per phrase
MAX_QUOTED = 16  # leader posts remembered per phrase as quoted by its adopters
MAX_SOURCES = 256  # sources remembered by name (a replay file may name thousands)
OTHER_SOURCES = ""  # where a phrase's adoptions on sources past that are pooled (no real name)
LEAN_RECENT = 16  # independent adopters whose neighbours of the phrase are remembered
LEAN_SHARE = 0.75  # a word beside the phrase in this share of them makes it part of a longer one
LEAN_MIN = 3  # ... among at least this many adopters


class Candidate:
    """A tracked phrase: its adoptions, sources, engagement and sample posts."""

    __slots__ = (
        "adopt_marks",
        "adopt_times",
        "adopt_weights",
        "authors",
        "beside",
        "canonical",
        "dirty",
        "engagement",
        "evidence",
        "first_post",
        "first_seen",
        "frames",
        "key",
        "last_post",
        "leader",
        "n_tokens",
        "narrative",
        "own_words",
        "parts",
        "past_weight",
        "posts",
        "promoted",
        "promoted_posts",
        "quoted",
        "recent_texts",
        "scale",
        "score",
        "seed_post",
        "signals",
        "slot",
        "source_weight",
        "sources",
        "surface_hits",
        "surfaces",
        "text_counts",
        "top",
        "total_weight",
        "usual",
        "vocabulary",
        "words",
    )

    def __init__(
        self, key: int, slot: int, first_seen: datetime, promoted: int = 0, promoted_posts: int = 0
    ) -> None:
        self.key = key
        self.promoted = promoted  # bucket of promotion
        self.promoted_posts = promoted_posts  # the stream's post count at promotion
        self.slot = slot
        self.first_seen = first_seen
        self.usual = 0.0  # the share its history taught when tracking began (before the burst)
        self.past_weight = 0.0  # independent adoptions in earlier tracked lives (the shelf)
        self.canonical: str | None = None
        self.n_tokens = 0
        self.words: tuple[str, ...] = ()  # its folded tokens
        self.parts: np.ndarray | None = None  # phrase keys of its words (chance co-occurrence)
        # Hashes of its words used mostly in it when it was named ("ghost" in "summon ghost"):
        # only such words written by another form's adopters link two scripts (clustering.py).
        self.own_words: frozenset[int] = frozenset()
        self.authors: dict[str, int] = {}  # author -> last bucket (an adoption happens once)
        self.adopt_times: list[float] = []
        self.adopt_weights: list[float] = []
        self.adopt_marks: list[int] = []  # the stream's cumulative post count at adoption
        self.total_weight = 0.0
        # The latest adopters' texts: (exact signature, other content words).
        # ... with how much the post said in all (rarity), so copies are judged both ways.
        # ... and the frame: the words right around the phrase, each with its place.
        # ... and whether it was judged a copy (copies together show a template).
        self.recent_texts: deque[tuple[int, frozenset[int], float, frozenset[int], bool]] = deque(
            maxlen=RECENT_ADOPTERS
        )
        self.text_counts: dict[int, int] = {}
        # Every frame element (a word at its place) among those texts, with how many hold it.
        self.frames: dict[int, int] = {}
        # The content words right before and after the phrase in the latest independent
        # adoptions: a plain word everyone writes beside the same word is half of a phrase.
        self.beside: deque[tuple[int, int]] = deque(maxlen=LEAN_RECENT)
        self.vocabulary: set[int] = set()  # other words its adopters used
        # Leader posts its adopters quoted or replied to -> their adoptions' weight: a form in
        # another script taken up by quoting a story's seed post is that story (clustering.py).
        self.quoted: dict[str, float] = {}
        self.sources: dict[str, int] = {}  # source -> last bucket
        self.source_weight: dict[str, float] = {}  # source -> independent adoptions there
        self.engagement: dict[int, int] = {}  # bucket -> engagement sum
        self.posts: deque[int] = deque(maxlen=CO_POSTS)
        self.last_post = -1
        self.surfaces: dict[str, int] = {}
        self.surface_hits = 0
        self.first_post: SamplePost | None = None
        self.top: list[SamplePost] = []
        self.leader: str | None = None
        self.seed_post: SamplePost | None = None
        self.narrative: str | None = None
        self.score = 0.0
        self.signals: Signals | None = None
        self.evidence: Evidence = NO_EVIDENCE
        self.dirty = False  # adopted since it was last scored
        # Once its story alerted: the longest window the score looks at (the time scale the
        # story was detected at), so the score tells how viral it is *now*.
        self.scale: float | None = None

    # -- state --------------------------------------------------------------------------------
    _PLAIN = (
        "key",
        "slot",
        "promoted",
        "promoted_posts",
        "canonical",
        "n_tokens",
        "words",
        "authors",
        "adopt_times",
        "adopt_weights",
        "adopt_marks",
        "text_counts",
        "sources",
        "source_weight",
        "engagement",
        "last_post",
        "surfaces",
        "surface_hits",
        "leader",
        "narrative",
        "score",
        "scale",
        "usual",
        "past_weight",
        "quoted",
    )

    def to_state(self) -> dict[str, Any]:
        """Plain builtins only (sample posts as tuples; see bot/engine/checkpoint.py)."""
        state = {name: getattr(self, name) for name in self._PLAIN}
        state["first_seen"] = self.first_seen.timestamp()
        state["recent_texts"] = [
            (sig, sorted(words), total, sorted(frame), copied)
            for sig, words, total, frame, copied in self.recent_texts
        ]
        state["vocabulary"] = sorted(self.vocabulary)
        state["beside"] = [list(pair) for pair in self.beside]
        state["own_words"] = sorted(self.own_words)
        state["posts"] = list(self.posts)
        state["first_post"] = SamplePost.pack(self.first_post)
        state["top"] = [SamplePost.pack(s) for s in self.top]
        state["seed_post"] = SamplePost.pack(self.seed_post)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Candidate:
        cand = cls(int(state["key"]), int(state["slot"]), utc(state["first_seen"]))
        for name in cls._PLAIN:
            setattr(cand, name, state[name])
        cand.total_weight = float(sum(cand.adopt_weights))
        cand.vocabulary = set(state["vocabulary"])
        cand.own_words = frozenset(state["own_words"])
        cand.recent_texts.extend(
            (sig, frozenset(words), total, frozenset(frame), bool(copied))
            for sig, words, total, frame, copied in state["recent_texts"]
        )
        for *_, frame, _ in cand.recent_texts:
            cand._count_frame(frame)
        cand.posts.extend(state["posts"])
        cand.beside.extend((int(left), int(right)) for left, right in state["beside"])
        cand.first_post = SamplePost.unpack(state["first_post"])
        cand.top = [s for s in map(SamplePost.unpack, state["top"]) if s is not None]
        cand.seed_post = SamplePost.unpack(state["seed_post"])
        return cand

    # -- counting -----------------------------------------------------------------------------
    def is_new_author(self, author: str) -> bool:
        return author not in self.authors

    def hit(self, post: Post, post_key: int, bucket: int) -> bool:
        """Record one post mentioning the phrase; False if this post was already counted."""
        if post_key == self.last_post:
            return False
        self.last_post = post_key
        self.posts.append(post_key)
        self.authors[post.author] = bucket
        self.sources[post.source] = bucket
        engagement = post.likes + post.reposts + post.replies
        self.engagement[bucket] = self.engagement.get(bucket, 0) + engagement
        if self.first_post is None:
            self.first_post = SamplePost.of(post)
        elif engagement > 0 and (len(self.top) < TOP_POSTS or engagement > self.top[-1].engagement):
            self.top.append(SamplePost.of(post))
            self.top.sort(key=lambda s: (-s.engagement, s.created_at, s.id))
            del self.top[TOP_POSTS:]
        return True

    def adopt(
        self,
        ts: float,
        mark: int,
        text: tuple[int, frozenset[int]],
        rarity: dict[int, float],
        ring_weight: float,
        frame: frozenset[int] = frozenset(),
        beside: tuple[int, int] = (0, 0),
        *,
        source: str,
        quoted: str | None = None,
        framing: tuple[dict[int, int], dict[int, float]] | None = None,
    ) -> None:
        """A new author took the phrase up on ``source`` (quoting the leader post ``quoted``);
        how much that counts depends on what else they said.

        Independent adopters say something new around the phrase: weighted by rarity (a word
        everyone uses says little), the share of the post's other words this phrase's adopters
        have not used yet. A near-copy of one recent adopter's post (a copy-paste ring) or words
        drawn from a small template (sock puppets, near-duplicate rings) bring almost nothing
        new, and count as little as ``ring_weight``.
        """
        sig, words = text
        weight = 1.0
        total = sum(rarity.get(w, 0.0) for w in words)
        if self.text_counts.get(sig, 0) > 0:
            weight = ring_weight
        elif words and total > 0.0:
            fresh = sum(rarity.get(w, 0.0) for w in words if w not in self.vocabulary)
            weight = min(1.0, max(ring_weight, fresh / total / NOVEL_SHARE))
            # A near-copy is mostly the same post both ways, weighted by rarity: sharing the
            # rare words of a template is copying, sharing common words is chance, and a short
            # post naming a story's rare words is no copy of a long one that names them too.
            # No single earlier post can share more than all earlier adopters' words together
            # (while the vocabulary still takes every word).
            need = NEAR_SHARE * total
            possible = total - fresh >= need or len(self.vocabulary) >= MAX_VOCABULARY
            if len(words) >= NEAR_MIN_WORDS and possible:
                fewest = need / max(rarity.get(w, 0.0) for w in words)
                for _, seen, said, *_ in self.recent_texts:
                    shared = words & seen
                    if len(shared) < fewest:
                        continue
                    if sum(rarity.get(w, 0.0) for w in shared) >= NEAR_SHARE * max(total, said):
                        weight = ring_weight
                        break
        if weight > ring_weight and self._templated(frame, framing):
            weight = ring_weight
        self._remember(sig, words, total, frame, weight <= ring_weight)
        if weight > ring_weight:
            self.beside.append(beside)
        if len(self.vocabulary) < MAX_VOCABULARY:
            self.vocabulary.update(words)
        self.dirty = True
        self.adopt_times.append(ts)
        self.adopt_weights.append(weight)
        self.total_weight += weight
        self.adopt_marks.append(mark)
        if source not in self.source_weight and len(self.source_weight) >= MAX_SOURCES:
            source = OTHER_SOURCES  # like a source past the engine's MAX_SOURCES: never joined
        self.source_weight[source] = self.source_weight.get(source, 0.0) + weight
        if quoted is not None and (quoted in self.quoted or len(self.quoted) < MAX_QUOTED):
            self.quoted[quoted] = self.quoted.get(quoted, 0.0) + weight
        if len(self.adopt_times) > 2 * MAX_ADOPTIONS:
            del self.adopt_times[:-MAX_ADOPTIONS]
            del self.adopt_weights[:-MAX_ADOPTIONS]
            del self.adopt_marks[:-MAX_ADOPTIONS]
            self.total_weight = float(sum(self.adopt_weights))

    def overhear(self, heard: Sequence[Said]) -> None:
        """Posts that used the phrase before it was tracked, oldest first.

        Nobody adopts them: they selected the phrase. But those among them that fill one
        template (a copy of another, or both judged alike) show it before its first tracked
        adopter: sock puppets' first posts. Later adopters are compared with those. A post
        heard once is no template: the first copies of a headline count as they always did.
        """
        heard = heard[-RECENT_ADOPTERS:]  # as many as adopters are compared with
        members: dict[int, bool] = {}
        for i, one in enumerate(heard):
            if self.text_counts.get(one.sig, 0) > 0 or self._templated(one.frame):
                members[i] = True
            for j in range(i):
                other = heard[j]
                if other.sig == one.sig:
                    members[i] = members[j] = True
                elif _like(one.frame, other.frame):
                    # As an adopter is judged: a frame too short to show a template is none.
                    for k, said in ((i, one), (j, other)):
                        if len(said.frame) >= FRAME_SHARED:
                            members[k] = True
        for i in sorted(members):
            self._remember(heard[i].sig, frozenset(), 0.0, heard[i].frame, True)
        # They are how people wrote it, though: the headline's spelling counts them.
        for said in heard:
            if said.surface:
                self.add_surface(said.surface)

    def _remember(
        self, sig: int, words: frozenset[int], total: float, frame: frozenset[int], copied: bool
    ) -> None:
        """Keep a post among the latest texts later adopters are compared with."""
        if len(self.recent_texts) == self.recent_texts.maxlen:
            old, *_, old_frame, _ = self.recent_texts[0]
            drop_one(self.text_counts, old)
            for placed in old_frame:
                drop_one(self.frames, placed)
        self.recent_texts.append((sig, words, total, frame, copied))
        self.text_counts[sig] = self.text_counts.get(sig, 0) + 1
        self._count_frame(frame)

    def _count_frame(self, frame: frozenset[int]) -> None:
        for placed in frame:
            self.frames[placed] = self.frames.get(placed, 0) + 1

    def _templated(
        self,
        frame: frozenset[int],
        framing: tuple[dict[int, int], dict[int, float]] | None = None,
    ) -> bool:
        """Whether the words around the phrase fill a template recent adopters filled too.

        Sock puppets fill one template with a word or two swapped: what stands where around
        the phrase ("honestly the _ changed my _") gives the template away, against one
        earlier post, against the posts already judged copies taken together (two of them
        with different words swapped show all of the template between them), or, given what
        each place says (``framing``: the word at each place, and what each word says: a
        rare word much, a stopword nothing), against every
        recent adopter's frame taken together: half of what the frame says standing where
        earlier adopters had it. People writing their own posts rarely put the same rare
        word at the same place; a template's few posts, each with other words swapped, do.
        """
        if len(frame) < FRAME_SHARED:
            return False
        if framing is not None and self._covered(frame, *framing):
            return True
        template: set[int] = set()
        longest = len(frame)
        for *_, seen_frame, copied in self.recent_texts:
            if _like(frame, seen_frame):
                return True
            if copied:
                template.update(seen_frame)
                longest = max(longest, len(seen_frame))
        # Half of the longest frame, as against one post: a short frame is not half of a
        # long template for sharing two of its words.
        return _alike(frame, template, longest)

    def _covered(
        self, frame: frozenset[int], words: dict[int, int], says: dict[int, float]
    ) -> bool:
        """Half of what ``frame`` says stood at its place in recent frames (``words``: the word
        at each place; ``says``: what each word says).

        A word saying ``w`` is in a share ``exp(-w)`` of posts, so among ``n`` recent frames
        it stands anywhere by chance about ``n * exp(-w)`` times: only the rest of what it
        says counts as seen. Everyday words of a small language fill every place sooner or
        later; a template's own words do not.
        """
        frames = self.frames
        seen = [placed for placed in frame if placed in frames]
        if len(seen) < FRAME_SHARED:
            return False
        said = sum(says.get(words.get(placed, 0), 0.0) for placed in frame)
        if said <= 0.0:
            return False
        n = len(self.recent_texts)
        shown = 0.0
        for placed in seen:
            w = says.get(words.get(placed, 0), 0.0)
            shown += w * max(0.0, 1.0 - n * math.exp(-w))
        return shown >= FRAME_HALF * said

    def learn_templates(self, other: Candidate) -> None:
        """Compare new adopters with the copies among ``other``'s latest adopters too: the
        templates seen filled for a phrase starting with the same words (its frames have the
        same places). Only copies: independent adopters of a shorter phrase may well have
        written the longer one around it ("NSA whistleblower Edward Snowden: ..."), and that
        is the story, not a template."""
        room = RECENT_ADOPTERS - len(self.recent_texts)
        copies = [entry for entry in other.recent_texts if entry[4]]  # judged copies
        for entry in reversed(copies[-room:] if room > 0 else []):
            self.recent_texts.appendleft(entry)
            self.text_counts[entry[0]] = self.text_counts.get(entry[0], 0) + 1
            self._count_frame(entry[3])

    def leans_on(self) -> bool:
        """Whether its latest independent adopters nearly all wrote the same word beside it.

        Then the phrase people take up is longer ("goblin coin", not "coin"), even while that
        longer one is not tracked yet: this phrase is a fragment of it, not a story.
        """
        if len(self.beside) < LEAN_MIN:
            return False
        need = LEAN_SHARE * len(self.beside)
        for side in (0, 1):
            counts: dict[int, int] = {}
            for pair in self.beside:
                word = pair[side]
                if word:
                    counts[word] = counts.get(word, 0) + 1
            if counts and max(counts.values()) >= need:
                return True
        return False

    def add_surface(self, surface: str) -> None:
        """Count one spelling of the phrase (the first ``SURFACE_SAMPLES`` are kept)."""
        if self.surface_hits >= SURFACE_SAMPLES:
            return
        self.surface_hits += 1
        if surface in self.surfaces or len(self.surfaces) < MAX_SURFACES:
            self.surfaces[surface] = self.surfaces.get(surface, 0) + 1

    @property
    def surface(self) -> str:
        """The spelling people write most often (what a reader sees; never the stemmed key)."""
        if not self.surfaces:
            return self.canonical or ""
        return max(self.surfaces.items(), key=lambda kv: (kv[1], kv[0]))[0]

    @property
    def weight(self) -> float:
        """Independent adoptions kept (how much of the story this phrase carries)."""
        return self.total_weight

    def prune(self, oldest: int, memory: int) -> None:
        """Forget sources and engagement older than the window; bound the author memory."""
        self.sources = {s: b for s, b in self.sources.items() if b >= oldest}
        self.engagement = {b: v for b, v in self.engagement.items() if b >= oldest}
        if len(self.authors) > memory:
            newest = sorted(self.authors.items(), key=lambda kv: kv[1])[-memory // 2 :]
            self.authors = dict(newest)


def drop_one(counts: dict[K, int], key: K) -> None:
    """One fewer of ``key`` in a count (gone at none)."""
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)


def _like(frame: frozenset[int], seen: frozenset[int]) -> bool:
    """Whether two posts' frames fill one template (held to the longer of the two)."""
    return _alike(frame, seen, max(len(frame), len(seen)))


def _alike(frame: frozenset[int], seen: frozenset[int] | set[int], places: int) -> bool:
    """Half of a frame of four places or more is a template with two words swapped; a short
    one ("is wild lol") is shared by chance unless all of it is."""
    need = FRAME_HALF * places if places > FRAME_SHARED else FRAME_SHARED
    return len(frame & seen) >= need


class PhraseShelf:
    """What the adopters of phrases no longer tracked were and said, for when one is tracked again.

    A phrase stops being tracked when it proves nothing (no story after a window) or when room
    is needed. If it is tracked again later, the people who already used it are not new
    adopters (a daily show's regulars are not new adopters each morning), and the words they
    wrote around it are not new either (a phrase people have used all day says nothing new in
    its old company). Bounded: per phrase, the newest ``per_phrase`` authors and as many words
    as a tracked phrase keeps; ``capacity`` authors and words in all (the phrases shelved
    longest ago are forgotten first).
    """

    def __init__(self, capacity: int = 500_000, per_phrase: int = 256) -> None:
        self.capacity = capacity
        self.per_phrase = per_phrase
        # phrase key -> (authors, words, adoptions in all its tracked lives), in shelving order
        self.held: dict[int, tuple[tuple[str, ...], tuple[int, ...], float]] = {}
        self.size = 0

    def put(self, cand: Candidate, loose: bool = False) -> None:
        """Shelve a phrase that stops being tracked.

        ``loose``: it leaves without having been part of a story, so its adoptions count
        towards its past (a story's phrase keeps the past it had: it may be told again).
        """
        if not cand.authors:
            return
        newest = sorted(cand.authors.items(), key=lambda kv: kv[1])[-self.per_phrase :]
        self._pop(cand.key)
        weight = cand.past_weight + (cand.total_weight if loose else 0.0)
        entry = (tuple(name for name, _ in newest), tuple(cand.vocabulary), weight)
        self.held[cand.key] = entry
        self.size += len(entry[0]) + len(entry[1])
        while self.size > self.capacity:
            self._pop(next(iter(self.held)))

    def fill(self, cand: Candidate, bucket: int) -> None:
        """Give a phrase tracked again what was shelved of it (once)."""
        names, words, weight = self._pop(cand.key)
        cand.authors = dict.fromkeys(names, bucket)
        cand.vocabulary = set(words)
        cand.past_weight = weight

    def _pop(self, key: int) -> tuple[tuple[str, ...], tuple[int, ...], float]:
        entry = self.held.pop(key, ((), (), 0.0))
        self.size -= len(entry[0]) + len(entry[1])
        return entry

    def to_state(self) -> list[tuple[int, tuple[str, ...], tuple[int, ...], float]]:
        return [(key, *entry) for key, entry in self.held.items()]

    def restore(self, state: list[tuple[int, tuple[str, ...], tuple[int, ...], float]]) -> None:
        self.held = {
            int(key): (tuple(names), tuple(words), float(weight))
            for key, names, words, weight in state
        }
        self.size = sum(len(n) + len(w) for n, w, _ in self.held.values())
