"""TelegramAlertSender: alerts as HTML messages with Details/Watch buttons."""

from __future__ import annotations

import asyncio
import time
import warnings
from datetime import timedelta

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.alerts.sender import DeliveryError, RetryLater, TargetGone, TargetMoved
from bot.render import telegram as render
from bot.service.types import AlertCard

PLATFORM = "telegram"
GONE_BAD_REQUESTS = ("chat not found", "user not found", "have no rights", "not enough rights")


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is deprecated; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramAlertSender:
    platform = PLATFORM

    def __init__(self, bot: ExtBot[None], max_per_second: float = 25.0) -> None:
        self.bot = bot
        # Telegram allows about 30 messages/s per bot across all chats; stay under it so a
        # fan-out to many chats does not earn a flood-control wait for all of them.
        self._gap = 1.0 / max_per_second
        self._next = 0.0
        self._turn = asyncio.Lock()

    async def _throttle(self) -> None:
        async with self._turn:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._gap
        if wait > 0:
            await asyncio.sleep(wait)

    async def send_alert(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        return await self._send(chat_id, card, language)

    async def send_direct(self, user_id: str, card: AlertCard, language: str) -> str | None:
        # A user's private chat with the bot has the user's id; it exists once they /start-ed.
        return await self._send(user_id, card, language)

    async def _send(self, chat_id: str, card: AlertCard, language: str) -> str | None:
        text, markup = render.alert(card, language)
        await self._throttle()
        try:
            message = await self.bot.send_message(
                chat_id=int(chat_id),
                text=text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=markup,
            )
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from None
        except Forbidden as exc:
            raise TargetGone(f"telegram: {exc.message}"[:300]) from None
        except ChatMigrated as exc:
            raise TargetMoved(str(exc.new_chat_id)) from None
        except BadRequest as exc:
            if any(part in exc.message.lower() for part in GONE_BAD_REQUESTS):
                raise TargetGone(f"telegram: {exc.message}"[:300]) from None
            raise DeliveryError(self._redact(f"telegram: {exc.message}")) from None
        except TelegramError as exc:  # network trouble, 5xx: the dispatcher retries later
            raise DeliveryError(self._redact(f"telegram: {type(exc).__name__}: {exc}")) from None
        return str(message.message_id)

    def _redact(self, text: str) -> str:
        """Error texts end up in logs and the alerts table: never with the bot token."""
        return text.replace(self.bot.token, "***")[:300]
