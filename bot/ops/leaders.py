"""Keeps the scorer's engine tracking the global leader set as operators change it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence

from bot.leaders import engine_handles, x_handles
from storage import leaders as leader_store

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0  # stored leaders are re-read this often even without a change


class LeaderSync:
    """Keeps the engine's leader set (and the X source's searches) equal to the global leaders.

    The global set is the operator's (bot/leaders.py): the configured identities, in priority
    order (shipped, then GHOSTWATCH_LEADERS / _FILE, then Bluesky DID handles), then those an
    operator added, as stored. A chat's own follow list is not part of it. The service calls
    `changed()` after an operator's change; the next scoring tick applies it. The stored rows
    are also re-read every `every` seconds, for changes made by other processes.
    """

    def __init__(
        self,
        configured: Sequence[str],
        stored: Sequence[str],
        *,
        every: float = REFRESH_SECONDS,
    ) -> None:
        self.configured = tuple(configured)
        self.ids = self._merge(stored)
        self.every = every
        # The first tick applies the list once: it also forgets leader posts that a restored
        # checkpoint remembers from leaders removed while the bot was down.
        self._stale = True
        self.applied = False
        self._read_at = time.monotonic()

    def _merge(self, stored: Sequence[str]) -> list[str]:
        return list(dict.fromkeys([*self.configured, *stored]))

    @property
    def handles(self) -> list[str]:
        """What the engine is given (bot.leaders.engine_handles)."""
        return engine_handles(self.ids)

    def x_handles(self) -> list[str]:
        """X handles to search, configured ones first (bot/sources/x.py fills its budget so)."""
        return x_handles(self.ids)

    def changed(self) -> None:
        self._stale = True

    async def refresh(self, apply: Callable[[Iterable[str]], None]) -> None:
        """Re-read the stored leaders if told to or due, and `apply` a changed list.

        `apply` is the pipeline's `set_leaders`; this runs as its tick prelude, between ticks.
        """
        if not self._stale and time.monotonic() - self._read_at < self.every:
            return
        self._stale = False
        try:
            stored = await leader_store.global_ids()
        except BaseException:
            self._stale = True  # retried at the next tick
            raise
        self._read_at = time.monotonic()
        ids = self._merge(stored)
        if ids == self.ids and self.applied:
            return
        added = sorted(set(ids) - set(self.ids))
        removed = sorted(set(self.ids) - set(ids))
        apply(engine_handles(ids))
        self.ids, self.applied = ids, True
        if added or removed:
            log.info(
                "leaders updated: %d tracked (added %s; removed %s)",
                len(ids),
                ", ".join(added) or "none",
                ", ".join(removed) or "none",
            )
