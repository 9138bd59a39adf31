"""Command rate limits in Telegram: the real PTB application against the fake Bot API."""

from __future__ import annotations

import asyncio

from telegram.ext import TypeHandler

from bot.metrics import REGISTRY
from bot.service.ratelimit import CHAT_RATE, USER_RATE, CommandLimiter
from bot.telegram.throttle import GATE_GROUP, CommandGate
from tests.telegram.conftest import Bot

GROUP = -100777


def gate(tg: Bot) -> CommandGate:
    [handler] = tg.frontend.application.handlers[GATE_GROUP]
    assert isinstance(handler, TypeHandler)
    owner = handler.callback.__self__  # type: ignore[attr-defined]
    assert isinstance(owner, CommandGate)
    return owner


def limited() -> float:
    value = REGISTRY.get_sample_value("ghostwatch_commands_limited_total", {"platform": "telegram"})
    return value or 0.0


async def test_a_spammer_gets_one_polite_reply_then_silence(tg: Bot) -> None:
    # The shipped rates, and no refill during the test however slow it runs.
    gate(tg).limiter = CommandLimiter(user=USER_RATE, chat=CHAT_RATE, clock=lambda: 0.0)
    before = limited()
    for i in range(5):  # the burst
        tg.server.user_message(GROUP, "/help", user_id=66, chat_type="supergroup")
        await tg.server.wait_for("sendMessage", lambda c: c.chat_id == str(GROUP), count=i + 1)
    tg.server.user_message(GROUP, "/help", user_id=66, chat_type="supergroup", language_code="ja")
    replies = await tg.server.wait_for("sendMessage", lambda c: c.chat_id == str(GROUP), count=6)
    assert replies[-1].params["text"] == "コマンドが多すぎます。1 分ほど待ってからお試しください。"
    for _ in range(3):
        tg.server.user_message(GROUP, "/help", user_id=66, chat_type="supergroup")
    for _ in range(500):  # the sentinel: all three were refused
        if limited() >= before + 4:
            break
        await asyncio.sleep(0.01)
    assert limited() == before + 4
    assert len(tg.server.sent("sendMessage", GROUP)) == 6  # silence after the one warning
    # Another user elsewhere is served as usual.
    tg.server.user_message(5, "/help", user_id=5)
    await tg.server.wait_for("sendMessage", lambda c: c.chat_id == "5")
