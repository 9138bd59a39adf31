"""Narratives: tracked phrases grouped into stories, their lifecycle, and how they are shown.

The engine scores phrases one by one; a story is usually told in several forms ("vibe
coding", "#vibecoding", a translation). This module owns the narratives built from them:

- grouping: loose phrases join a live narrative they belong to or group into new ones
  (bot/engine/clustering.py says what belongs together), forms of one story that started
  apart are merged, and plain words that only accompany a told story are let go;
- the lifecycle pass (bot/engine/lifecycle.py): one ``AlertEvent`` per viral episode;
- ``history``: retired narratives' episode counts, so a story told again is its next
  episode, not its first;
- the views (``NarrativeView``) the rest of the bot reads.

It does not track phrases itself: the engine hands it the phrases a tick looked at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from bot.engine import clustering
from bot.engine.baseline import PhraseTable
from bot.engine.breakdown import Breakdown
from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.evidence import acceleration, slowed
from bot.engine.lifecycle import Narrative, step
from bot.engine.scoring import explain
from bot.engine.text import canonicalize
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView, SamplePost, utc

MAX_HISTORY = 10_000  # retired narratives remembered (episode counts survive)
RETIRE_SECONDS = 24 * 3600
NARRATIVE_KEY_CHARS = 200  # the one place that bounds a narrative key (storage holds as much)
MIN_SCALE_SECONDS = 1800.0  # after an alert the score looks back at least this far


class Stories:
    """The narratives, by key, and the episode counts of retired ones."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.narrs: dict[str, Narrative] = {}
        self.history: dict[str, tuple[int, float | None]] = {}

    def sorted(self) -> list[Narrative]:
        return [self.narrs[k] for k in sorted(self.narrs)]

    # -- grouping -----------------------------------------------------------------------------
    def group(self, awake: Iterable[Candidate], posts_seen: int) -> None:
        """Place the awake loose phrases that score, and re-check company and merges."""
        loose_min = self.cfg.emerging_threshold / 2  # the floor of _score: such phrases are awake
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
        live = [n for n in self.sorted() if n.state is not Lifecycle.DORMANT]
        # Told stories, dormant ones too: a word whose evidence is a story's burst is its
        # company until that burst has left its window.
        told = [n for n in self.sorted() if n.episode]
        post_sets = {n.key: set().union(*(m.posts for m in n.members)) for n in {*live, *told}}
        if loose:
            self._place(loose, live, told, post_sets, posts_seen)
        # Also on ticks without new phrases: the evidence that joins two forms (or shows a
        # plain word to be company) keeps arriving while they are being taken up.
        self._merge_forms()
        self._quiet_company(told, post_sets, posts_seen)

    def _place(
        self,
        loose: list[Candidate],
        live: list[Narrative],
        told: list[Narrative],
        post_sets: dict[str, set[int]],
        posts_seen: int,
    ) -> None:
        """Loose phrases join a live narrative they belong to, or group into new ones."""
        remaining: list[Candidate] = []
        for cand in loose:
            # A plain word joins a told story as a spelling of it ("goblincoin" after "$goblin"
            # alerted); before a story is told its spellings group with it below.
            word = not clustering.distinctive(cand)
            for n in live:
                if (n.episode or not word) and clustering.attaches(
                    cand, post_sets[n.key], n.members
                ):
                    n.add(cand)
                    break
            else:
                # A plain word or an everyday phrase in a told story's posts is its company.
                chatter = word or clustering.everyday(cand)
                if not chatter or not self._company(cand, told, post_sets, posts_seen):
                    remaining.append(cand)
        for group in clustering.groups(remaining):
            if max(c.score for c in group) < self.cfg.emerging_threshold:
                continue
            label = clustering.label_of(group, self.cfg.alert_threshold)
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

    @staticmethod
    def _company(
        cand: Candidate, told: list[Narrative], post_sets: dict[str, set[int]], posts_seen: int
    ) -> bool:
        """A plain word seen beside a told story is its company, not a form of it.

        Joined, it would keep the story alive and pull other stories in through its posts; on
        its own, it would tell the story again ("sony" beside "used games" and "ps4"). Judged
        by its posts in its evidence window: its older ones are about something else.
        """
        since = posts_seen - cand.evidence.window_posts
        recent = [k for k in cand.posts if k >= since]
        return any(clustering.accompanies(recent, post_sets[n.key]) for n in told)

    def _quiet_company(
        self, told: list[Narrative], post_sets: dict[str, set[int]], posts_seen: int
    ) -> None:
        """Let go of untold narratives of plain words that turned out a told story's company."""
        if not told:
            return
        for n in [n for n in self.narrs.values() if not n.episode]:
            plain = not any(clustering.distinctive(c) for c in n.members)
            if plain and self._company(n.anchor, told, post_sets, posts_seen):
                self.drop(n)

    def _merge_forms(self) -> None:
        """Join a narrative that has not alerted yet into a live one that is the same story.

        Forms of one story can start as narratives of their own before the evidence that joins
        them exists (the first bilingual post, the first hashtag); once it does, the younger
        joins the older, so the story alerts once.
        """
        live = [n for n in self.sorted() if n.state is not Lifecycle.DORMANT]
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

    # -- lifecycle ----------------------------------------------------------------------------
    def lifecycle(
        self,
        moment: datetime,
        bucket: int,
        armed: Callable[[Narrative], bool],
        table: PhraseTable,
    ) -> list[AlertEvent]:
        """Advance every narrative's lifecycle; one alert per narrative that starts an episode.

        ``armed`` says whether a narrative may alert yet (the warm-ups are over for it).
        """
        alerts: list[AlertEvent] = []
        for n in self.sorted():
            top = n.top
            accel = acceleration(top.evidence) if top else 0.0
            slowing = top is not None and slowed(top.evidence)
            if step(n, n.score, accel, moment, self.cfg, armed(n), slowing):
                n.attribute()
                detected = top.evidence.window_seconds if top else 0.0
                scale = max(2.0 * detected, MIN_SCALE_SECONDS)
                for cand in n.members:
                    cand.scale = scale
                alerts.append(AlertEvent(self.view(n, table, bucket), moment, n.episode))
        return alerts

    def freeze_told(self, frozen: np.ndarray) -> None:
        """A story being told is not what its phrases usually do: their baselines wait."""
        frozen[:] = False
        for n in self.narrs.values():
            if n.state in (Lifecycle.VIRAL, Lifecycle.COOLING):
                frozen[[c.slot for c in n.members]] = True

    def retire(self, moment: datetime) -> None:
        """Drop narratives quiet, scoring nothing and without an alert for a day."""
        for n in list(self.narrs.values()):
            idle_n = (
                n.last_alert is None or (moment - n.last_alert).total_seconds() > RETIRE_SECONDS
            )
            if n.state in (Lifecycle.DORMANT, Lifecycle.QUIET) and idle_n and n.score < 1:
                self.drop(n)

    def drop(self, n: Narrative) -> None:
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
    def view(self, n: Narrative, table: PhraseTable, bucket: int) -> NarrativeView:
        members = sorted(n.members, key=lambda c: (-c.score, c.canonical or ""))
        top = members[0] if members else None
        head = clustering.headline(n.members, self.cfg.alert_threshold) or n.anchor
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
        phrases = tuple(clustering.member_phrases(members, keep=head))
        surfaces = {c.canonical: c.surface for c in members if c.canonical}
        bs = self.cfg.bucket_seconds
        # The anchor is always tracked (hot) while the narrative exists: its slot is its own.
        series = tuple((utc(b * bs), c) for b, c in table.series(n.anchor.slot, bucket))
        leader = n.leader
        breakdown = dataclasses.replace(breakdown, leader=leader)
        ev = top.evidence if top else None
        return NarrativeView(
            key=n.key,
            label=head.surface or n.key,
            phrase=head.canonical or n.key,
            phrases=phrases,
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
            forms=tuple(surfaces.get(p, p) for p in phrases),
        )

    def views(self, table: PhraseTable, limit: int | None = None) -> list[NarrativeView]:
        """Tracked non-quiet narratives, best first."""
        if table.bucket is None:
            return []
        live = [n for n in self.narrs.values() if n.state is not Lifecycle.QUIET and n.members]
        live.sort(key=lambda n: (-n.score, n.key))
        return [self.view(n, table, table.bucket) for n in live[:limit]]

    def find(self, table: PhraseTable, query: str) -> NarrativeView | None:
        """A tracked narrative whose key, phrase, member phrase or label matches the query."""
        q = canonicalize(query)
        if not q or table.bucket is None:
            return None
        squashed = clustering.compound(q)
        for n in sorted(self.narrs.values(), key=lambda n: (-n.score, n.key)):
            names = {n.key, *(c.canonical for c in n.members)}
            labels = {canonicalize(c.surface) for c in n.members}
            compounds = {clustering.compound(c.canonical or "") for c in n.members}
            if q in names or q in labels or squashed in compounds:
                return self.view(n, table, table.bucket)
        return None
