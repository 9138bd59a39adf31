"""Adoption: which tracked phrase each post takes up, and what it says besides.

A post that carries a longer tracked phrase ("vibe coding") is an adoption of that phrase, not
of its parts ("vibe", "code"): the story is named and counted by its whole phrase. An adopter
is a new author of the phrase (not a tracked leader: a leader's post seeds, it does not adopt),
and what the post says besides the phrase (its rarest other words, and the words right around
the phrase) tells an independent adopter from a copy (bot/engine/candidates.py).

Runs per ingest batch, only over occurrences of tracked phrases; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.engine import clustering
from bot.engine.candidates import SURFACE_SAMPLES, Candidate
from bot.engine.config import EngineConfig
from bot.engine.folding import stable_hash
from bot.engine.seeding import Leaders
from bot.engine.text import (
    Extraction,
    content_words,
    framed,
    neighbours,
    phrase_text,
    phrase_words,
    unigram_keys,
    word_keys,
)
from bot.engine.tokens import is_edge_stop
from bot.engine.tracking import Tracker
from bot.engine.vocab import Vocab
from bot.posts import Post

RAREST_SHARE = 1e-6  # rarity of a word never seen (its -ln share is capped here)
OWN_WORD = 4.0  # a word this much commoner than a phrase is not that phrase's own (a filler)
CONTEXT_WORDS = 16  # a post's rarest other words compared between adopters


class Adoption:
    """Records who took up which tracked phrase; the tracker's table is read at each call (a
    checkpoint restore replaces it)."""

    def __init__(self, cfg: EngineConfig, vocab: Vocab, tracker: Tracker, seeds: Leaders) -> None:
        self.cfg = cfg
        self.vocab = vocab
        self.tracker = tracker
        self.seeds = seeds

    def record(
        self,
        ext: Extraction,
        idx: np.ndarray,
        slots: np.ndarray,
        ts: np.ndarray,
        buckets: np.ndarray,
        posts: Sequence[Post],
        base: int,
        young: frozenset[str],
        cjk: np.ndarray | None = None,
    ) -> None:
        """Record the adoptions among a batch's occurrences of tracked phrases (``idx``).

        ``young``: sources whose posts adopt nothing yet (a network in its own warm-up);
        ``cjk``: per post, whether it is written in Han, hiragana or katakana.
        """
        tracker = self.tracker
        by_slot = tracker.by_slot
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
        says: dict[int, dict[int, float]] = {}  # the same, by word hash, within the script
        # A word says as much as it is rare among posts of its own script: a Japanese word in
        # one Japanese post in ten is everyday there, however rare among all posts.
        scripts = self.tracker.table.presence
        known = float(scripts.sum())
        lift = np.log(np.maximum(scripts / known, 1e-6)).tolist() if known > 0.0 else [0.0, 0.0]
        for slot, p, s, n in zip(hot_slots, post_of, starts, lengths, strict=True):
            cand = by_slot[slot]
            post = posts[p]
            new_author = cand.is_new_author(post.author)
            if not cand.hit(post, base + p, int(buckets[p])):
                continue
            # The posts heard before tracking may have used up the spellings sampled; the
            # first hit still names the phrase.
            if cand.canonical is None or cand.surface_hits < SURFACE_SAMPLES:
                canonical, surface = phrase_text(ext, self.vocab, s, n)
                if cand.canonical is None:
                    cand.canonical = canonical
                    cand.n_tokens = n
                    cand.words = phrase_words(ext, self.vocab, s, n)
                    cand.own_words = self.own_words(cand)
                    tracker.named(cand)
                cand.add_surface(surface)
            if not new_author or self.seeds.of(post) is not None or post.source in young:
                continue
            if self.outweighed(cand, s, n, spans[p]):
                continue
            if p not in said:
                said[p] = self._said(ext, p)
                up = lift[int(cjk[p])] if cjk is not None else 0.0
                says[p] = {key: max(weight + up, 0.0) for weight, _, key in said[p]}
            words, rarity = self._besides(said[p], s, n)
            places = framed(ext, self.vocab, p, s, n)
            frame = frozenset(places)
            beside = neighbours(ext, self.vocab, p, s, n)
            text = (int(ext.text_sig[p]), words)
            cand.adopt(
                float(ts[p]),
                base + p,
                text,
                rarity,
                ring_weight,
                frame,
                beside,
                source=post.source,
                quoted=self.seeds.quoted(post),
                # What each place of the frame says (a stopword nothing): a template is
                # given away by its rare words standing where they stood before.
                framing=(places, says[p]),
            )
            tracker.woke(slot)

    def own_words(self, cand: Candidate) -> frozenset[int]:
        """Hashes of the words mostly used in this phrase (a quarter of their uses or more).

        Such words name the story ("ghost" in "summoning ghosts"); a word used everywhere
        ("my", a filler the whole stream writes) says nothing about which story a post is.
        Both shares are of the same memory, so this holds on a stream of any size.
        """
        content = [w for w in cand.words if not is_edge_stop(w)]
        if not content:
            return frozenset()
        shares = self.tracker.table.overall(word_keys(content)).tolist()
        mine = float(self.tracker.table.overall(np.array([cand.key], dtype=np.uint64))[0])
        return frozenset(
            stable_hash(w) for w, s in zip(content, shares, strict=True) if s <= OWN_WORD * mine
        )

    def outweighed(
        self, cand: Candidate, start: int, length: int, spans: list[tuple[int, int, int]]
    ) -> bool:
        """Whether the post adopts another tracked phrase instead of this one.

        A post adopts the longer phrase that contains this one ("vibe coding", not "code"),
        and of two overlapping phrases the one more people took up: "召喚した musakix" in
        "幽霊を召喚した musakix" is the story's phrase with a neighbour, not a story of its own.
        A plain word inside this phrase never outweighs it, however many use it: "prompt" is
        everywhere, "prompt debt" is the story.
        """
        end = start + length
        for s2, n2, slot in spans:
            if n2 > length and s2 <= start and s2 + n2 >= end:
                return True
            other = self.tracker.by_slot[slot]
            overlaps = s2 < end and start < s2 + n2 and (s2, n2) != (start, length)
            plain_inside = start <= s2 and s2 + n2 <= end and not clustering.distinctive(other)
            if overlaps and not plain_inside and other.total_weight > cand.total_weight:
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
        shares = self.tracker.table.overall(unigram_keys(hashes))
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
