"""A narrative keeps its own identity: key, label, phrase and leader never drift to other phrases.

Regression: after "summoning ghosts" went dormant, its key phrase's candidate retired while an
unrelated co-occurring word stayed a member, and the view keyed `summon ghost` read
phrase='potalix', leader=None (the pipeline then overwrote the stored narrative row by key).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.engine import (
    CheckpointError,
    EngineConfig,
    Lifecycle,
    NarrativeEngine,
    NarrativeView,
    canonicalize,
)
from bot.engine.checkpoint import dump, load
from bot.engine.generator import START, StreamGenerator, merge
from bot.posts import Post, by_interval

from .scenarios import GHOST_VARIANTS

SEER = "newseer"
GHOSTS, VIBES = canonicalize("summoning ghosts"), canonicalize("vibe coding")


def two_memes(seed: int = 5) -> list[Post]:
    """The seer seeds "summoning ghosts" (spreads from 2:20), then "vibe coding" (from 3:40)."""
    gen = StreamGenerator(seed)
    return merge(
        gen.background(6, 10),
        gen.meme(GHOST_VARIANTS[:2], start_minute=140, authors=500, leader=SEER),
        gen.meme(
            ["vibe coding", "vibe coded", "#VibeCoding"],
            start_minute=220,
            authors=500,
            leader=SEER,
            leader_text="just vibe coding all weekend, forget the code even exists",
        ),
    )


@dataclass
class Watch:
    """Every view seen per key over a replay, plus what a key-addressed store would hold."""

    stored: dict[str, NarrativeView] = field(default_factory=dict)
    leaders: dict[str, str | None] = field(default_factory=dict)
    states: dict[str, set[Lifecycle]] = field(default_factory=dict)
    slots: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # (slot, phrase hash)
    problems: list[str] = field(default_factory=list)

    def check(self, engine: NarrativeEngine) -> None:
        for view in engine.narratives():
            self._check_view(engine, view)

    def _check_view(self, engine: NarrativeEngine, view: NarrativeView) -> None:
        key, at = view.key, engine.now
        if view.phrase != key:
            self.problems.append(f"{at} {key!r}: phrase {view.phrase!r}")
        if canonicalize(view.label) != key:
            self.problems.append(f"{at} {key!r}: label {view.label!r}")
        if key not in view.phrases:
            self.problems.append(f"{at} {key!r}: phrases {view.phrases!r} lack the key")
        if key in self.leaders and view.leader != self.leaders[key]:
            self.problems.append(f"{at} {key!r}: leader {self.leaders[key]!r} -> {view.leader!r}")
        self.leaders.setdefault(key, view.leader)
        self.states.setdefault(key, set()).add(view.state)
        self.stored[key] = view
        held = self.slots.setdefault(key, set())
        held.update((c.slot, c.key) for c in engine.by_slot.values() if c.narrative == key)


def replay_watched(engine: NarrativeEngine, posts: list[Post], watch: Watch) -> NarrativeEngine:
    for batch in by_interval(posts):
        engine.ingest(batch)
        for alert in engine.tick():
            watch._check_view(engine, alert.narrative)
        watch.check(engine)
    return engine


# A small table forces phrases' slots to be evicted and handed to other phrases.
CONFIGS = {"default": EngineConfig(), "small-table": EngineConfig(capacity=320)}


@functools.cache
def _run(name: str) -> tuple[NarrativeEngine, Watch]:
    watch = Watch()
    engine = replay_watched(NarrativeEngine(CONFIGS[name], [SEER]), two_memes(), watch)
    return engine, watch


@pytest.fixture(params=sorted(CONFIGS))
def watched(request: pytest.FixtureRequest) -> tuple[NarrativeEngine, Watch]:
    return _run(request.param)


def test_views_stay_consistent_with_their_key_for_the_whole_life(watched) -> None:
    _engine, watch = watched
    assert {GHOSTS, VIBES} <= set(watch.stored), "both memes must become narratives"
    assert Lifecycle.VIRAL in watch.states[GHOSTS]
    assert watch.problems == []


def test_first_narrative_went_dormant_and_its_stored_row_keeps_label_and_leader(watched) -> None:
    engine, watch = watched
    # The scenario must reach the reported situation: ghosts cooled off while vibes was live.
    live = {v.key for v in engine.narratives()}
    assert Lifecycle.DORMANT in watch.states[GHOSTS] or GHOSTS not in live
    last = watch.stored[GHOSTS]
    assert last.phrase == GHOSTS and canonicalize(last.label) == GHOSTS
    assert last.leader == SEER and last.seed_post is not None
    assert watch.stored[VIBES].leader == SEER


def test_recycled_slots_never_relabel_a_narrative() -> None:
    """Every 30 minutes every untracked slot is evicted and reused: keys and labels hold."""
    # Memories by time alone: in this short replay (3.7k posts) the story must fade and its
    # slots be recycled, which a memory of thousands of posts would not allow.
    cfg = EngineConfig(capacity=320, baseline_half_life_posts=1.0, sketch_half_life_posts=1.0)
    engine, watch = NarrativeEngine(cfg, [SEER]), Watch()
    recycled = 0
    for i, batch in enumerate(by_interval(two_memes())):
        engine.ingest(batch)
        for alert in engine.tick():
            watch._check_view(engine, alert.narrative)
        watch.check(engine)
        if i % 30 == 29:
            before = {s: int(engine.table.keys[s]) for s, _ in watch.slots.get(GHOSTS, ())}
            engine.table._evict(engine.cfg.capacity)
            recycled += sum(int(engine.table.keys[s]) != k for s, k in before.items())
    assert recycled, "the scenario must recycle slots once held by the ghosts narrative"
    assert {GHOSTS, VIBES} <= set(watch.stored)
    assert watch.problems == []


def test_dormant_narrative_is_found_by_its_own_phrase_only(watched) -> None:
    engine, _ = watched
    view = engine.find("summoning ghosts")
    assert view is None or view.key == GHOSTS
    for other in (v for v in engine.narratives() if v.key != GHOSTS):
        assert GHOSTS not in other.phrases or other.key == GHOSTS


def test_checkpoint_after_dormancy_continues_identically() -> None:
    posts = two_memes()
    cut = next(i for i, p in enumerate(posts) if p.created_at >= START + timedelta(minutes=300))
    straight, watch = NarrativeEngine(leaders=[SEER]), Watch()
    replay_watched(straight, posts, watch)
    first = replay_watched(NarrativeEngine(leaders=[SEER]), posts[:cut], Watch())
    restored = load(dump(first), leaders=[SEER])
    again = Watch()
    replay_watched(restored, posts[cut:], again)
    assert again.problems == []
    assert [(v.key, v.label, v.leader, v.state) for v in restored.narratives()] == [
        (v.key, v.label, v.leader, v.state) for v in straight.narratives()
    ]


def test_checkpoint_of_the_old_shape_is_rejected() -> None:
    engine, _ = _run("default")
    data = dump(engine)
    old = data[:8] + (1).to_bytes(2, "big") + data[10:]  # version 1 had no narrative anchors
    with pytest.raises(CheckpointError, match="version 1"):
        load(old, leaders=[SEER])
    restored = load(data, leaders=[SEER])
    assert [(v.key, v.label, v.leader) for v in restored.narratives()] == [
        (v.key, v.label, v.leader) for v in engine.narratives()
    ]
