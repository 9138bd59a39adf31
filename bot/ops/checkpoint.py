"""Engine checkpoints: restore the newest usable one at start, save periodically and at exit.

Saving is driven by the caller (after a scoring tick whose alerts are already recorded, and at
shutdown) rather than by a free-running timer, so a checkpoint never captures an engine that
has fired an alert the dispatcher has not yet written down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from bot.clock import live_skewed
from bot.engine import CheckpointError, EngineConfig, NarrativeEngine
from bot.engine.checkpoint import VERSION, dump, load
from storage import checkpoints

log = logging.getLogger(__name__)

AfterSave = Callable[[], Awaitable[None]]
# Called synchronously at the instant the engine is serialised; the returned coroutine
# function runs once that checkpoint is stored (so it acts on exactly what the checkpoint saw).
Capture = Callable[[], AfterSave]


class CheckpointKeeper:
    """Restores and saves the engine state in storage (newest `keep` rows are kept)."""

    def __init__(
        self,
        interval: float,
        keep: int = 3,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.interval = interval
        self.wall = wall  # epoch seconds: a checkpoint whose stream time is past it is poisoned
        self.keep = keep
        self.clock = clock
        self.last_saved: float = clock()
        self.saves = 0
        self.discarded = 0
        # e.g. marking the aggregate rows the checkpointed engine has seen as consumed
        self.captures: list[Capture] = []

    async def restore(
        self, config: EngineConfig | None = None, leaders: Iterable[str] = ()
    ) -> NarrativeEngine | None:
        """The engine from the newest usable checkpoint; unusable ones are deleted (warning)."""
        handles = list(leaders)
        for checkpoint_id in await checkpoints.checkpoint_ids():
            row = await checkpoints.load_checkpoint(checkpoint_id)
            if row is None:
                continue
            version, data = row
            try:
                if version != VERSION:
                    raise CheckpointError(f"checkpoint version {version}, expected {VERSION}")
                # Decompressing and unpickling a large engine takes seconds: not on the loop.
                engine = await asyncio.to_thread(load, data, config, handles)
                if engine.now_ts is not None and live_skewed(engine.now_ts, self.wall()):
                    # Saved after a post with a future date moved the clock: restoring it would
                    # keep every window empty and drop every real post as too old.
                    raise CheckpointError(
                        f"its stream time {engine.now.isoformat() if engine.now else ''} "
                        "is in the future (an implausible post clock)"
                    )
            except CheckpointError as exc:
                self.discarded += 1
                log.warning("discarding engine checkpoint #%d: %s", checkpoint_id, exc)
                await checkpoints.delete_checkpoint(checkpoint_id)
                continue
            log.info(
                "engine restored from checkpoint #%d (stream time %s, %d posts seen)",
                checkpoint_id,
                engine.now.isoformat() if engine.now else "none",
                engine.posts_ingested,
            )
            return engine
        return None

    async def save(self, engine: NarrativeEngine) -> int:
        """Write a checkpoint now; returns its id.

        Pickling and compression run in a worker thread so commands keep being answered. The
        caller guarantees nothing changes the engine meanwhile (it saves under the tick lock or
        after the last tick), so the captures taken here describe exactly what is serialised.
        """
        started = time.perf_counter()
        after = [capture() for capture in self.captures]
        data = await asyncio.to_thread(dump, engine)
        checkpoint_id = await checkpoints.save_checkpoint(data, VERSION, engine.now, self.keep)
        self.last_saved = self.clock()
        self.saves += 1
        for hook in after:
            await hook()
        log.debug(
            "engine checkpoint #%d saved (%d bytes, %.0f ms)",
            checkpoint_id,
            len(data),
            (time.perf_counter() - started) * 1000,
        )
        return checkpoint_id

    def due(self) -> bool:
        return self.clock() - self.last_saved >= self.interval

    async def maybe_save(self, engine: NarrativeEngine) -> int | None:
        """Save when the interval has passed since the last save."""
        if not self.due():
            return None
        return await self.save(engine)
