"""NarrativeEngine.set_leaders forgets the remembered posts of leaders no longer tracked."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from bot.engine import AlertEvent, EngineConfig, NarrativeEngine, canonicalize
from bot.engine.checkpoint import dump, load
from bot.engine.generator import START, StreamGenerator, merge, replay
from bot.posts import Post

from .scenarios import GHOST_VARIANTS


def _stream() -> tuple[list[Post], list[Post]]:
    """Two leaders say "summoning ghosts" (Seer first) before it spreads from 2:20."""
    gen = StreamGenerator(3)
    bg = gen.background(4.5, 10)
    cut = START + timedelta(minutes=130)
    early = [p for p in bg if p.created_at < cut]
    late = [p for p in bg if p.created_at >= cut]
    seeds = [
        gen._post(100, "Seer", "we are summoning ghosts now", "x"),
        gen._post(101, "Oracle", "summoning ghosts is the only way", "x"),
    ]
    meme = gen.meme(GHOST_VARIANTS, start_minute=140, peak_per_minute=6, authors=400)
    return merge(early, seeds), merge(late, meme)


def test_removed_leaders_posts_are_forgotten_and_not_restored_by_re_adding() -> None:
    engine = NarrativeEngine(leaders=["seer", "@Oracle"])
    first, _ = _stream()
    replay(engine, first)
    assert sorted(lp.author for lp in engine.leader_posts) == ["oracle", "seer"]
    engine.set_leaders(["oracle", "karpathy"])
    assert [lp.author for lp in engine.leader_posts] == ["oracle"]
    engine.set_leaders(["oracle", "seer"])
    assert [lp.author for lp in engine.leader_posts] == ["oracle"]
    assert engine.leader_posts.maxlen == engine.cfg.max_leader_posts


def test_the_remaining_leader_seeds_the_narrative() -> None:
    engine = NarrativeEngine(leaders=["seer", "oracle"])
    first, second = _stream()
    replay(engine, first)
    engine.set_leaders(["oracle"])
    alerts = replay(engine, second)
    ghosts = [
        a
        for a in alerts
        if isinstance(a, AlertEvent) and a.narrative.key == canonicalize("summoning ghosts")
    ]
    assert ghosts and ghosts[0].narrative.leader == "oracle"


def test_restore_with_fewer_leaders_forgets_the_others_posts() -> None:
    engine = NarrativeEngine(leaders=["seer", "oracle"])
    replay(engine, _stream()[0])
    restored = load(dump(engine), leaders=["seer"])
    assert [lp.author for lp in restored.leader_posts] == ["seer"]
    assert len(engine.leader_posts) == 2


def test_a_post_quoting_a_remembered_leader_post_is_known_as_such() -> None:
    """Only quotes of leader posts still remembered count: not of one pushed out by newer
    ones, of one whose leader was dropped, or of anyone else's; a restore keeps the rest."""
    engine = NarrativeEngine(EngineConfig(max_leader_posts=2), leaders=["seer", "oracle"])
    gen = StreamGenerator(5)
    said = [
        gen._post(10 + i, who, f"thought {i}", "x")
        for i, who in enumerate(("Seer", "Oracle", "Seer"))
    ]
    other = gen._post(14, "someone", "an ordinary post", "x")
    replay(engine, merge(gen.background(0.5, 5), [*said, other]))

    def quoted(engine: NarrativeEngine, post: Post) -> str | None:
        return engine.seeds.quoted(msgspec.structs.replace(other, quotes=post.id))

    assert [quoted(engine, p) for p in [*said, other]] == [None, said[1].id, said[2].id, None]
    restored = load(dump(engine), leaders=["seer", "oracle"])
    assert [quoted(restored, p) for p in said] == [None, said[1].id, said[2].id]
    restored.set_leaders(["seer"])
    assert [quoted(restored, p) for p in said] == [None, None, said[2].id]
