"""AlertDispatcher: the pipeline's alert hook, joining planning (who) and delivery (sending).

After each tick the hook records every alert now due as a pending row (bot/alerts/planning.py)
and wakes the delivery worker (bot/alerts/delivery.py), then returns: sending, with its pacing
and flood-control deferrals, never holds up scoring. Once the hook has returned, the tick's
alerts are durable, so the engine may be checkpointed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.alerts.delivery import DeliveryReport, DeliveryWorker, Outcome
from bot.alerts.planning import AlertPlanner
from bot.alerts.sender import AlertSender
from bot.engine import AlertEvent, NarrativeView
from bot.service.narratives import NarrativeService
from storage.alerts import AlertKey


@dataclass
class DispatchReport(DeliveryReport):
    recorded: int = 0
    keys: list[AlertKey] = field(default_factory=list)


class AlertDispatcher:
    def __init__(
        self,
        senders: Mapping[str, AlertSender],
        service: NarrativeService,
        *,
        dm_threshold: float = 60.0,
        chat_interval: float = 1.0,
        max_per_hour: int = 20,
        max_attempts: int = 5,
        max_retry_wait: float = 300.0,
        concurrency: int = 8,
        max_age: timedelta = timedelta(hours=6),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.planner = AlertPlanner(list(senders), dm_threshold=dm_threshold)
        self.worker = DeliveryWorker(
            senders,
            service,
            chat_interval=chat_interval,
            max_per_hour=max_per_hour,
            max_attempts=max_attempts,
            max_retry_wait=max_retry_wait,
            concurrency=concurrency,
            max_age=max_age,
            clock=clock,
            sleep=sleep,
        )

    async def on_narratives(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> None:
        """The pipeline's hook: record this tick's alerts, then let the worker send them.

        The worker is woken after every tick, not only when something new was recorded: a
        transient failure earlier left rows pending that this pass retries.
        """
        await self.planner.record(views, alerts)
        self.worker.wake()

    async def record(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> DispatchReport:
        keys = await self.planner.record(views, alerts)
        return DispatchReport(recorded=len(keys), keys=keys)

    async def dispatch(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> DispatchReport:
        """Record, then run one delivery pass and wait for it (for tests and one-off runs)."""
        report = await self.record(views, alerts)
        delivered = await self.worker.deliver_pending()
        for outcome in Outcome:
            report.add(outcome, delivered.count(outcome))
        return report

    async def resume(self) -> DispatchReport:
        """One delivery pass now: alerts recorded but not sent (e.g. before a restart)."""
        return await self.dispatch([], [])

    def start(self) -> None:
        """Start the delivery worker; its first pass sends what was pending before a restart."""
        self.worker.wake()

    async def drain(self) -> None:
        """Wait until the worker has answered every wake-up so far."""
        await self.worker.drain()

    async def close(self) -> None:
        """Stop the worker; unsent alerts stay pending for the next start."""
        await self.worker.close()
