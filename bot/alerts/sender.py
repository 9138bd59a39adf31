"""The per-platform delivery protocol the AlertDispatcher talks to."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.service.types import AlertCard


class DeliveryError(Exception):
    """Base of the delivery failures a sender reports; the message must hold no secret."""


class TargetGone(DeliveryError):
    """The chat/user blocked or removed the bot (403, chat not found): disable, do not retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetMoved(DeliveryError):
    """The chat now lives under another id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_target: str) -> None:
        super().__init__(f"moved to {new_target}")
        self.new_target = new_target


class RetryLater(DeliveryError):
    """Flood control (429): wait `retry_after` seconds, then send again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:g}s")
        self.retry_after = retry_after


@runtime_checkable
class AlertSender(Protocol):
    platform: str

    async def send_alert(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        """Post the alert to a chat/channel; returns the platform message id."""
        ...

    async def send_direct(self, user_id: str, card: AlertCard, language: str) -> str | None:
        """Send the alert as a direct message to a user; returns the platform message id."""
        ...
