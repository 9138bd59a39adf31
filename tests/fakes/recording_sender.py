"""An AlertSender that records deliveries and can be told to fail like a platform does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.alerts.sender import DeliveryError
from bot.service.types import AlertCard


@dataclass
class Delivery:
    target: str
    direct: bool
    card: AlertCard
    language: str


@dataclass
class RecordingSender:
    platform: str = "test"
    delivered: list[Delivery] = field(default_factory=list)
    # target -> errors to raise on the next sends, in order (RetryLater, TargetGone, OSError...)
    failures: dict[str, list[BaseException]] = field(default_factory=dict)
    hang: asyncio.Event | None = None  # when set, sends wait on it (a platform that never answers)
    holds: dict[str, asyncio.Event] = field(default_factory=dict)  # the same, for one target
    attempts: int = 0
    cancelled: int = 0  # sends abandoned while waiting (the caller's task was cancelled)

    async def _send(self, target: str, direct: bool, card: AlertCard, language: str) -> str:
        self.attempts += 1
        try:
            for event in (self.hang, self.holds.get(target)):
                if event is not None:
                    await event.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        queue = self.failures.get(target)
        if queue:
            raise queue.pop(0)
        self.delivered.append(Delivery(target, direct, card, language))
        return str(len(self.delivered))

    async def send_alert(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        return await self._send(chat_id, False, card, language)

    async def send_direct(self, user_id: str, card: AlertCard, language: str) -> str | None:
        return await self._send(user_id, True, card, language)

    def to(self, target: str, direct: bool | None = None) -> list[Delivery]:
        return [d for d in self.delivered if d.target == target and direct in (None, d.direct)]


__all__ = ["Delivery", "DeliveryError", "RecordingSender"]
