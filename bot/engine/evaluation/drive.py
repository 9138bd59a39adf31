"""Drives the narrative engine exactly as `ghostwatch backtest` does, collecting its alerts."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.clock import StreamWatermark
from bot.engine.backtest import EventTimeFeeder, post_times
from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.evaluation.scorer import Alert
from bot.engine.types import AlertEvent
from bot.posts import Post

BLOCK = 4096  # posts per block, like the reader's blocks of lines


def leader_ids(handles: Sequence[str], network: str = "x") -> list[str]:
    """Both spellings of each leader: bare ("karpathy") and network-qualified ("x:karpathy").

    The current engine tracks bare handles; the rewrite takes "network:handle". An id an
    engine does not understand matches no author, so passing both is harmless to either.
    """
    return [*handles, *(f"{network}:{h}" for h in handles)]


def run_engine(
    posts: Sequence[Post], leaders: Sequence[str] = (), config: EngineConfig | None = None
) -> list[AlertEvent]:
    """Posts in delivery order through the path `ghostwatch backtest` takes after decoding.

    The same stream-time watermark and the same event-time feeder (one ingest and tick per
    busy minute, a sparse minute merged into its bucket), so what is scored here is what a
    replay of the same posts as a file alerts.
    """
    engine = NarrativeEngine(config or EngineConfig(), leader_ids(leaders))
    fired: list[AlertEvent] = []
    feeder = EventTimeFeeder(engine, io.StringIO(), lambda _engine, new: fired.extend(new))
    mark: StreamWatermark[Post] = StreamWatermark()
    for start in range(0, len(posts), BLOCK):
        block = list(posts[start : start + BLOCK])
        admitted = mark.feed(block, post_times(block))
        feeder.feed(admitted.items, admitted.ts)
    admitted = mark.flush()
    feeder.feed(admitted.items, admitted.ts)
    feeder.finish()
    return fired


def engine_alerts(posts: Sequence[Post], leaders: Sequence[str] = ()) -> list[Alert]:
    """The engine's alerts as the scorer reads them (through the backtest JSON contract)."""
    return [Alert.from_json(a.to_json()) for a in run_engine(posts, leaders)]
