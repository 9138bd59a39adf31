"""Seeded synthetic post streams for tests and the benchmark (no real data involved)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.posts import Post, by_interval

START = datetime(2026, 3, 1, tzinfo=UTC)
SOURCES = ("x", "bluesky", "reddit", "mastodon", "telegram", "hackernews")
_FILLER_STOP = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "is",
    "in",
    "it",
    "that",
    "for",
    "on",
    "with",
    "this",
    "be",
    "are",
    "was",
    "so",
    "just",
    "but",
    "not",
    "you",
    "we",
    "i",
    "my",
]
_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "su",
    "ne",
    "lo",
    "vi",
    "ra",
    "po",
    "de",
    "li",
    "mu",
    "sa",
    "te",
    "no",
    "fu",
    "ki",
    "ze",
    "ba",
]


def _vocabulary(size: int, seed: int = 7) -> list[str]:
    """Pseudo-English content words (fixed seed: the same words in every stream)."""
    rng = np.random.default_rng(seed)
    words: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        n = int(rng.integers(2, 4))
        w = "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), n)) + "x"
        if w not in words:
            words.add(w)
            out.append(w)
    return out


class StreamGenerator:
    """Builds post streams: background chatter plus injected memes, spam, rings, daily spikes."""

    def __init__(
        self,
        seed: int,
        start: datetime = START,
        n_authors: int = 20000,
        vocab: int = 5000,
        vocab_seed: int = 7,
    ) -> None:
        """``vocab_seed``: another seed gives a network of its own, a part of whose words are
        the usual stream's, ranked its own way (and the rest its own)."""
        self.rng = np.random.default_rng(seed)
        self.start = start
        self.n_authors = n_authors
        self.words = np.array(_vocabulary(vocab, vocab_seed) + _FILLER_STOP, dtype=object)
        ranks = np.arange(1, vocab + 1, dtype=np.float64)
        content = 0.6 / ranks**1.05
        content *= 0.6 / content.sum()
        stop = np.full(len(_FILLER_STOP), 0.4 / len(_FILLER_STOP))
        self.cdf = np.cumsum(np.concatenate((content, stop)))
        self.cdf /= self.cdf[-1]
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids}"

    def _at(self, minute: float) -> datetime:
        return self.start + timedelta(seconds=round(minute * 60.0, 3))

    def filler(self, n_posts: int, n_words: int) -> list[list[str]]:
        idx = np.searchsorted(self.cdf, self.rng.random(n_posts * n_words))
        flat = self.words[idx].tolist()
        return [flat[i * n_words : (i + 1) * n_words] for i in range(n_posts)]

    def _times(self, per_minute: Sequence[float], offset: float) -> list[float]:
        counts = self.rng.poisson(np.maximum(np.asarray(per_minute, dtype=np.float64), 0.0))
        minutes = np.repeat(np.arange(len(counts), dtype=np.float64), counts)
        return sorted((minutes + self.rng.random(minutes.size) + offset).tolist())

    def _post(self, minute: float, author: str, text: str, source: str | None = None) -> Post:
        eng = int(self.rng.integers(0, 20))
        return Post(
            id=self._id("p"),
            source=source or SOURCES[int(self.rng.integers(0, len(SOURCES)))],
            author=author,
            text=text,
            created_at=self._at(minute),
            likes=eng,
            reposts=eng // 3,
            replies=eng // 5,
        )

    def background(
        self,
        hours: float,
        per_minute: float,
        *,
        daily_amplitude: float = 0.5,
        words: int = 20,
        evergreen: bool = True,
        start_minute: float = 0.0,
    ) -> list[Post]:
        """Zipf chatter with a daily volume cycle; "gm" peaks in the morning, "bitcoin" all day."""
        minutes = int(hours * 60)
        profile = []
        for m in range(minutes):
            hour = ((self.start.hour * 60 + start_minute + m) / 60.0) % 24
            profile.append(
                per_minute * (1 + daily_amplitude * math.sin(2 * math.pi * (hour - 6) / 24))
            )
        times = self._times(profile, start_minute)
        texts = self.filler(len(times), words)
        authors = self.rng.zipf(1.3, len(times)) % self.n_authors
        gm = self.rng.random(len(times))
        posts = []
        for minute, toks, a, g in zip(times, texts, authors.tolist(), gm.tolist(), strict=True):
            hour = ((self.start.hour * 60 + minute) / 60.0) % 24
            if evergreen:
                if g < 0.04 * (1 + math.cos(2 * math.pi * (hour - 8) / 24)):
                    toks[0] = "gm"
                elif g > 0.96:
                    toks[len(toks) // 2] = "bitcoin"
            posts.append(self._post(minute, f"user{a}", " ".join(toks)))
        return posts

    def meme(
        self,
        variants: Sequence[str],
        *,
        start_minute: float,
        ramp_minutes: int = 60,
        peak_per_minute: float = 8.0,
        hold_minutes: int = 30,
        decay_minutes: int = 60,
        authors: int = 400,
        pool: str = "fan",
        leader: str | None = None,
        leader_text: str | None = None,
        leader_lead_minutes: float = 30.0,
    ) -> list[Post]:
        """A phrase spreading: linear ramp, plateau, exponential decay; optional seeding leader."""
        profile = [peak_per_minute * (m + 1) / ramp_minutes for m in range(ramp_minutes)]
        profile += [peak_per_minute] * hold_minutes
        profile += [
            peak_per_minute * math.exp(-3.0 * m / decay_minutes) for m in range(decay_minutes)
        ]
        times = self._times(profile, start_minute)
        fill = self.filler(len(times), 12)
        who = self.rng.integers(0, authors, len(times)).tolist()
        pick = self.rng.integers(0, len(variants), len(times)).tolist()
        posts = []
        if leader:
            text = leader_text or f"{variants[0]}. think about it"
            posts.append(self._post(start_minute - leader_lead_minutes, leader, text, "x"))
        for minute, toks, a, v in zip(times, fill, who, pick, strict=True):
            cut = len(toks) // 2
            text = " ".join([*toks[:cut], variants[v], *toks[cut:]])
            posts.append(self._post(minute, f"{pool}{a}", text))
        return posts

    def spam(
        self, author: str, text: str, count: int, start_minute: float, span_minutes: float
    ) -> list[Post]:
        """One account posting the same line over and over."""
        step = span_minutes / max(1, count)
        return [self._post(start_minute + i * step, author, text) for i in range(count)]

    def ring(
        self, accounts: int, text: str, posts_each: int, start_minute: float, span_minutes: float
    ) -> list[Post]:
        """A coordinated ring: every account posts the identical text."""
        out = []
        for k in range(accounts):
            offs = self.rng.random(posts_each) * span_minutes
            out += [self._post(start_minute + float(o), f"ring{k}", text) for o in offs]
        return out

    def daily_spike(
        self,
        phrase: str,
        *,
        hour: int,
        days: int,
        per_minute: float,
        minutes: int = 30,
        authors: int = 300,
    ) -> list[Post]:
        """The same phrase bursting at the same hour every day (e.g. a daily show or bot)."""
        out = []
        for day in range(days):
            offset = day * 1440 + hour * 60 - self.start.hour * 60
            out += self.meme(
                [phrase],
                start_minute=offset,
                ramp_minutes=5,
                peak_per_minute=per_minute,
                hold_minutes=minutes - 5,
                decay_minutes=5,
                authors=authors,
                pool="daily",
            )
        return out


def merge(*streams: Iterable[Post]) -> list[Post]:
    """One stream in event-time order."""
    return sorted((p for s in streams for p in s), key=lambda p: (p.created_at, p.id))


def replay(engine: object, posts: Sequence[Post], seconds: int = 60) -> list[object]:
    """Feed posts interval by interval, ticking after each; returns every alert fired."""
    alerts: list[object] = []
    for batch in by_interval(posts, seconds):
        engine.ingest(batch)  # type: ignore[attr-defined]
        alerts += engine.tick()  # type: ignore[attr-defined]
    return alerts
