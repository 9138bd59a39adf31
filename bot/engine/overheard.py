"""What the latest posts said around each phrase, for a phrase the moment it is tracked.

A phrase is tracked author by author only once its mentions jump, so the posts that made it
jump are counted but nobody adopts them. They may not count as evidence (they selected the
phrase), but they do show what was written around it: sock puppets' first posts show their
templates before the first of them is adopted, and how people spelled it. This module keeps
the latest batches' posts (bounded in posts and in stream time; a checkpoint, or the
vocabulary dropping its ids, spells their words out), and hands a newly tracked phrase the
frames, signatures and spellings of its occurrences there, oldest first.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.engine.folding import join_tokens
from bot.engine.text import FRAME_WORDS, Extraction, frame_in, word_hashes
from bot.engine.vocab import Vocab

FEW_KEYS = 8  # phrases looked up at once key by key (a tick tracks a few new ones)


@dataclass(frozen=True, slots=True)
class Said:
    """One earlier occurrence of a phrase: when, the post's signature, the phrase's frame."""

    ts: float
    sig: int
    frame: frozenset[int]
    surface: str = ""  # the phrase as written there


@dataclass(frozen=True, slots=True)
class _Batch:
    # Per token: the vocabulary's ids as extracted, or (``words`` given: detached from the
    # vocabulary, for a checkpoint or before the vocabulary is dropped) indexes into the
    # batch's own distinct words, with their word hashes (0 for a break). Detaching every
    # batch of a busy stream costs more than reading the few frames a tick's new phrases need.
    tokens: np.ndarray
    bounds: np.ndarray  # int64, posts + 1
    phrase: np.ndarray  # uint64 per occurrence
    post: np.ndarray  # int64 per occurrence
    start: np.ndarray  # int64 per occurrence
    length: np.ndarray  # int8 per occurrence
    sig: np.ndarray  # uint64 per post
    ts: np.ndarray  # float64 per post
    words: tuple[str, ...] | None = None
    hashes: np.ndarray | None = None  # uint64 per word of ``words``

    @property
    def posts(self) -> int:
        return int(self.ts.size)

    @property
    def newest(self) -> float:
        return float(self.ts.max()) if self.ts.size else float("-inf")

    def detached(self, vocab: Vocab) -> _Batch:
        """The same batch with its words spelled out, independent of the vocabulary's ids."""
        if self.words is not None:
            return self
        ids, local = np.unique(self.tokens, return_inverse=True)
        return dataclasses.replace(
            self,
            tokens=local.astype(np.int32),
            words=tuple(vocab.token_str[i] for i in ids.tolist()),
            hashes=word_hashes(vocab, ids),
        )

    def word_hashes(self, vocab: Vocab, lo: int, hi: int) -> np.ndarray:
        """Tokens ``lo:hi`` as word hashes (0 for a break)."""
        if self.hashes is None:
            return word_hashes(vocab, self.tokens[lo:hi])
        return self.hashes[self.tokens[lo:hi]]

    def text(self, vocab: Vocab, lo: int, hi: int) -> str:
        """Tokens ``lo:hi`` as written."""
        spelled = vocab.token_str if self.words is None else self.words
        return join_tokens([spelled[t] for t in self.tokens[lo:hi].tolist()])

    def to_state(self, vocab: Vocab) -> tuple[Any, ...]:
        batch = self.detached(vocab)
        return (
            batch.tokens,
            batch.words,
            batch.hashes,
            self.bounds,
            self.phrase,
            self.post,
            self.start,
            self.length,
            self.sig,
            self.ts,
        )


class Overheard:
    """The latest posts: the newest batches that hold ``max_posts`` (a batch is kept whole),
    none older than ``max_seconds``."""

    def __init__(self, vocab: Vocab, max_seconds: float, max_posts: int) -> None:
        self.vocab = vocab  # the engine's: token ids are the process's own
        vocab.before_reset.append(self._detach)
        self.max_seconds = max_seconds
        self.max_posts = max_posts
        self.batches: deque[_Batch] = deque()
        self.posts = 0
        # Derived, dropped whenever a batch comes or goes: see _flat.
        self._phrases: np.ndarray | None = None
        self._owners: np.ndarray | None = None

    def add(self, ext: Extraction, ts: np.ndarray, now_ts: float) -> None:
        """Keep a batch's posts; forget the oldest batches past either bound."""
        batch = _Batch(
            tokens=ext.token_ids,
            bounds=ext.bounds,
            phrase=ext.phrase,
            post=ext.post,
            start=ext.start,
            length=ext.length,
            sig=ext.text_sig,
            ts=np.asarray(ts, dtype=np.float64),
        )
        self._keep(batch, now_ts)

    def _keep(self, batch: _Batch, now_ts: float) -> None:
        self._phrases = self._owners = None
        self.batches.append(batch)
        self.posts += batch.posts
        oldest = now_ts - self.max_seconds
        while self.batches and (
            self.posts - self.batches[0].posts >= self.max_posts or self.batches[0].newest < oldest
        ):
            self.posts -= self.batches.popleft().posts

    def said(self, keys: np.ndarray) -> dict[int, list[Said]]:
        """Per phrase key, its occurrences in the posts kept, oldest first."""
        found: dict[int, list[Said]] = {}
        if keys.size == 0 or not self.batches:
            return found
        phrases, owners = self._flat()
        if keys.size <= FEW_KEYS:  # one pass per key beats isin's sort of every occurrence
            mask = phrases == keys[0]
            for key in keys[1:]:
                mask |= phrases == key
        else:
            mask = np.isin(phrases, keys)
        hits = np.flatnonzero(mask)
        if hits.size == 0:
            return found
        which = np.searchsorted(owners, hits, side="right") - 1
        batches = list(self.batches)
        seen: set[tuple[int, int, int]] = set()
        for hit, b in zip(hits.tolist(), which.tolist(), strict=True):
            batch = batches[b]
            i = hit - int(owners[b])
            post, key = int(batch.post[i]), int(batch.phrase[i])
            if (b, post, key) in seen:
                continue  # a post repeating the phrase said it once
            seen.add((b, post, key))
            start, length = int(batch.start[i]), int(batch.length[i])
            lo, hi = int(batch.bounds[post]), int(batch.bounds[post + 1])
            first = max(lo, start - FRAME_WORDS)
            words = batch.word_hashes(self.vocab, first, min(hi, start + length + FRAME_WORDS))
            frame = frame_in(words, first, start, length)
            surface = batch.text(self.vocab, start, start + length)
            found.setdefault(key, []).append(
                Said(float(batch.ts[post]), int(batch.sig[post]), frame, surface)
            )
        for said in found.values():
            said.sort(key=lambda s: s.ts)
        return found

    def _flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Every occurrence's phrase, batches end to end, and where each batch's begin: one
        search for a tick's new phrases instead of one per batch kept."""
        if self._phrases is None or self._owners is None:
            sizes = [b.phrase.size for b in self.batches]
            self._phrases = np.concatenate([b.phrase for b in self.batches])
            self._owners = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        return self._phrases, self._owners

    def _detach(self) -> None:
        """The vocabulary is about to drop its ids: spell the batches' words out first."""
        self.batches = deque(b.detached(self.vocab) for b in self.batches)

    def to_state(self) -> list[tuple[Any, ...]]:
        return [b.to_state(self.vocab) for b in self.batches]

    def restore(self, state: list[tuple[Any, ...]]) -> None:
        self._phrases = self._owners = None
        self.batches.clear()
        self.posts = 0
        for fields in state:
            tokens, words, hashes, bounds, phrase, post, start, length, sig, ts = fields
            batch = _Batch(
                tokens, bounds, phrase, post, start, length, sig, ts, tuple(words), hashes
            )
            self.batches.append(batch)
            self.posts += batch.posts
