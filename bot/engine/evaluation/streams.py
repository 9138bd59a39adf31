"""Post patterns the project's StreamGenerator lacks, built on its seeded RNG and filler.

Everything here draws from ``gen.rng`` only, so a scenario is a pure function of its seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from bot.engine.generator import SOURCES, StreamGenerator
from bot.posts import Post

# Japanese chatter vocabulary (content words and particles); posts are written without spaces
# as Japanese is, so the engine's own script-run tokenizer has to find the phrase.
_JA_WORDS = (
    "今日",
    "本当に",
    "面白い",
    "みんな",
    "これ",
    "すごい",
    "時代",
    "について",
    "考える",
    "と思う",
    "です",
    "した",
    "新しい",
    "世界",
    "やばい",
    "未来",
    "技術",
    "話題",
    "動画",
    "仕事",
    "会社",
    "ニュース",
    "ゲーム",
    "アプリ",
    "音楽",
    "天気",
    "週末",
    "電車",
    "ラーメン",
    "猫",
    "朝",
    "夜",
    "友達",
    "写真",
    "映画",
    "は",
    "が",
    "を",
    "に",
    "で",
    "も",
    "ね",
    "よ",
    "、",
)
_JA_BEFORE = ("は", "が", "、", "で", "も", "の")
_JA_AFTER = ("が", "を", "は", "、", "です", "って")
_JA_CDF = np.cumsum(1.0 / np.arange(1, len(_JA_WORDS) + 1) ** 0.8)
_JA_CDF /= _JA_CDF[-1]


class Planter:
    """Adds story and negative patterns to a StreamGenerator's streams."""

    def __init__(self, gen: StreamGenerator, prefix: str = "ev") -> None:
        self.gen = gen
        self.rng = gen.rng
        self.prefix = prefix
        self._n = 0

    # -- basics -------------------------------------------------------------------------------
    def at(self, minute: float) -> datetime:
        return self.gen.start + timedelta(seconds=round(minute * 60.0, 3))

    def post(self, minute: float, author: str, text: str, source: str | None = None) -> Post:
        self._n += 1
        eng = int(self.rng.integers(0, 20))
        return Post(
            id=f"{self.prefix}{self._n}",
            source=source or SOURCES[int(self.rng.integers(0, len(SOURCES)))],
            author=author,
            text=text,
            created_at=self.at(minute),
            likes=eng,
            reposts=eng // 3,
            replies=eng // 5,
        )

    def times(self, per_minute: Sequence[float], offset: float) -> list[float]:
        """Poisson arrivals for a per-minute rate profile starting at ``offset``."""
        rates = np.maximum(np.asarray(per_minute, dtype=np.float64), 0.0)
        counts = self.rng.poisson(rates)
        minutes = np.repeat(np.arange(len(counts), dtype=np.float64), counts)
        return sorted((minutes + self.rng.random(minutes.size) + offset).tolist())

    def english(self, phrase: str, words: int = 12) -> str:
        toks = self.gen.filler(1, words)[0]
        cut = int(self.rng.integers(0, words + 1))
        return " ".join([*toks[:cut], phrase, *toks[cut:]])

    def japanese(self, phrase: str = "", words: int = 10) -> str:
        idx = np.searchsorted(_JA_CDF, self.rng.random(words))
        toks = [_JA_WORDS[int(i)] for i in idx]
        if phrase:
            # A particle or comma on each side, as Japanese writes a noun phrase; without one a
            # neighbouring Han or katakana word would fuse with it into one script run.
            before = _JA_BEFORE[int(self.rng.integers(0, len(_JA_BEFORE)))]
            after = _JA_AFTER[int(self.rng.integers(0, len(_JA_AFTER)))]
            toks.insert(int(self.rng.integers(0, words + 1)), f"{before}{phrase}{after}")
        return "".join(toks)

    # -- chatter ------------------------------------------------------------------------------
    def japanese_chatter(
        self, hours: float, per_minute: float, start_minute: float = 0.0
    ) -> list[Post]:
        """Japanese background with the same daily cycle as the generator's English one."""
        profile = [
            per_minute * (1 + 0.5 * math.sin(2 * math.pi * ((start_minute + m) / 60.0 - 6) / 24))
            for m in range(int(hours * 60))
        ]
        authors = self.rng.zipf(1.3, 10**6).tolist()
        return [
            self.post(t, f"jp{authors[i % len(authors)] % 5000}", self.japanese())
            for i, t in enumerate(self.times(profile, start_minute))
        ]

    def leader_chatter(
        self, leaders: Sequence[str], hours: float, every_minutes: float
    ) -> list[Post]:
        """Leaders post ordinary filler too (their words are not all coinages)."""
        out = []
        for leader in leaders:
            t = float(self.rng.random() * every_minutes)
            while t < hours * 60:
                out.append(self.post(t, leader, " ".join(self.gen.filler(1, 15)[0]), "x"))
                t += every_minutes * (0.5 + float(self.rng.random()))
        return out

    # -- stories ------------------------------------------------------------------------------
    @staticmethod
    def profile(peak: float, ramp: int, hold: int, decay: int) -> list[float]:
        """Linear ramp, plateau, exponential decay (the generator's meme shape)."""
        out = [peak * (m + 1) / ramp for m in range(ramp)]
        out += [peak] * hold
        out += [peak * math.exp(-3.0 * m / decay) for m in range(decay)]
        return out

    def story(
        self,
        variants: Sequence[str],
        weights: Sequence[float],
        *,
        start_minute: float,
        peak: float,
        ramp: int,
        hold: int,
        decay: int,
        pool: str,
        authors: int = 600,
        japanese: bool = False,
    ) -> list[Post]:
        """Organic adoption of a phrase by many accounts, each post using one variant."""
        times = self.times(self.profile(peak, ramp, hold, decay), start_minute)
        p = np.asarray(weights, dtype=np.float64)
        picks = self.rng.choice(len(variants), size=len(times), p=p / p.sum()).tolist()
        who = self.rng.integers(0, authors, len(times)).tolist()
        write = self.japanese if japanese else self.english
        return [
            self.post(t, f"{pool}{a}", write(variants[v]))
            for t, v, a in zip(times, picks, who, strict=True)
        ]

    # -- negatives ----------------------------------------------------------------------------
    def near_ring(
        self,
        accounts: int,
        template: Sequence[Sequence[str]],
        posts_each: int,
        start: float,
        span: float,
    ) -> list[Post]:
        """A ring whose accounts vary a word or two: each slot of ``template`` picks a choice."""
        out = []
        for k in range(accounts):
            for o in (self.rng.random(posts_each) * span).tolist():
                words = [slot[int(self.rng.integers(0, len(slot)))] for slot in template]
                out.append(self.post(start + o, f"nring{k}", " ".join(words)))
        return out

    def sock_puppets(
        self, operators: int, names_each: int, lines: Sequence[str], start: float, span: float
    ) -> list[Post]:
        """A few operators posting near-identical lines under many plausible-looking names."""
        out = []
        for op in range(operators):
            base = lines[op % len(lines)].split()
            for _ in range(names_each):
                name = f"user{int(self.rng.integers(30_000, 900_000))}"
                for _ in range(int(self.rng.integers(1, 4))):
                    words = list(base)
                    # swap in one or two filler words: similar, not identical, texts
                    for _ in range(int(self.rng.integers(1, 3))):
                        words[int(self.rng.integers(0, len(words)))] = self.gen.filler(1, 1)[0][0]
                    out.append(
                        self.post(start + float(self.rng.random()) * span, name, " ".join(words))
                    )
        return out

    def slow_growth(
        self, phrase: str, hours: float, start: float, top_per_minute: float
    ) -> list[Post]:
        """A phrase whose rate rises linearly from zero over ``hours`` (no burst anywhere)."""
        n = int(hours * 60)
        profile = [top_per_minute * (m + 1) / n for m in range(n)]
        who = self.rng.integers(0, 5000, 10**5).tolist()
        return [
            self.post(t, f"slow{who[i % len(who)]}", self.english(phrase))
            for i, t in enumerate(self.times(profile, start))
        ]

    def repeat(self, author: str, text: str, count: int, start: float, span: float) -> list[Post]:
        """One account (a leader) posting its own coinage again and again at random times."""
        offs = sorted((self.rng.random(count) * span).tolist())
        return [
            self.post(start + o, author, f"{text} {self.gen.filler(1, 4)[0][0]}", "x") for o in offs
        ]


def outage(posts: list[Post], begin: datetime, minutes: float) -> list[Post]:
    """Delivery order after a source outage: nothing during the gap, then its posts as a backlog.

    The backlog keeps the posts' own (older) timestamps and arrives right after the first live
    post following the reconnect, as a re-fetch would deliver it.
    """
    ordered = sorted(posts, key=lambda p: (p.created_at, p.id))
    end = begin + timedelta(minutes=minutes)
    before = [p for p in ordered if p.created_at < begin]
    gap = [p for p in ordered if begin <= p.created_at < end]
    after = [p for p in ordered if p.created_at >= end]
    return before + after[:1] + gap + after[1:]
