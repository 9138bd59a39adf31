"""Shared seeded scenario streams for the engine tests."""

from __future__ import annotations

from bot.engine import AlertEvent, NarrativeEngine
from bot.engine.generator import StreamGenerator, merge, replay
from bot.posts import Post

GHOST_VARIANTS = ["summoning ghosts", "summoned ghosts", "Summon ghosts", "#SummoningGhosts"]
MEME_START = 200  # minutes into the stream (warm-up is 120)
RAMP = 60


def background(
    seed: int, hours: float = 6, per_minute: float = 20
) -> tuple[StreamGenerator, list[Post]]:
    gen = StreamGenerator(seed)
    return gen, gen.background(hours, per_minute)


def run(
    posts: list[Post], leaders: tuple[str, ...] = ()
) -> tuple[NarrativeEngine, list[AlertEvent]]:
    engine = NarrativeEngine(leaders=leaders)
    alerts = replay(engine, merge(posts))
    return engine, [a for a in alerts if isinstance(a, AlertEvent)]
