"""ConsoleSender: prints alerts to stdout when no chat platform is configured."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.render.alert import alert_text
from bot.service.types import AlertCard
from storage import subscriptions as sub_store

PLATFORM = "console"
CHAT_ID = "stdout"


class ConsoleSender:
    platform = PLATFORM

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.sent = 0

    def _write(self, text: str) -> str:
        out = self.stream or sys.stdout
        out.write(text + "\n\n")
        out.flush()
        self.sent += 1
        return str(self.sent)

    async def send_alert(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        return self._write(alert_text(card, language))

    async def send_direct(self, user_id: str, card: AlertCard, language: str) -> str | None:
        return self._write(f"[to {user_id}] " + alert_text(card, language))


async def ensure_console_subscription(threshold: float, language: str = "en") -> None:
    """The one console "chat", so the dispatcher has somewhere to send (idempotent)."""
    await sub_store.upsert(
        PLATFORM,
        CHAT_ID,
        defaults={"threshold": threshold, "language": language, "enabled": True},
    )
