"""Drives the narrative engine exactly as `ghostwatch backtest` does, collecting its alerts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.backtest import BATCH_MAX, TICK_SECONDS
from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.evaluation.scorer import Alert
from bot.engine.types import AlertEvent
from bot.posts import Post


def leader_ids(handles: Sequence[str], network: str = "x") -> list[str]:
    """Both spellings of each leader: bare ("karpathy") and network-qualified ("x:karpathy").

    The current engine tracks bare handles; the rewrite takes "network:handle". An id an
    engine does not understand matches no author, so passing both is harmless to either.
    """
    return [*handles, *(f"{network}:{h}" for h in handles)]


def run_engine(
    posts: Sequence[Post], leaders: Sequence[str] = (), config: EngineConfig | None = None
) -> list[AlertEvent]:
    """Posts in delivery order, grouped by 60 s of event time (or BATCH_MAX), ingest + tick."""
    engine = NarrativeEngine(config or EngineConfig(), leader_ids(leaders))
    fired: list[AlertEvent] = []
    batch: list[Post] = []
    batch_slot: int | None = None
    for post in posts:
        slot = int(post.created_at.timestamp()) // TICK_SECONDS
        if batch and (slot != batch_slot or len(batch) >= BATCH_MAX):
            engine.ingest(batch)
            batch = []
            fired += engine.tick()
        batch_slot = slot
        batch.append(post)
    if batch:
        engine.ingest(batch)
    fired += engine.tick()
    return fired


def engine_alerts(posts: Sequence[Post], leaders: Sequence[str] = ()) -> list[Alert]:
    """The engine's alerts as the scorer reads them (through the backtest JSON contract)."""
    return [Alert.from_json(a.to_json()) for a in run_engine(posts, leaders)]
