"""A running ghostwatch Telegram front end (real python-telegram-bot) against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.service.narratives import NarrativeService
from bot.telegram.app import TelegramFrontend, start_telegram
from tests.builders import AT
from tests.fakes.telegram_server import FakeTelegram


class Clock:
    """Stream time for the service (the built narratives are dated 2026-03-01)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bot:
    server: FakeTelegram
    frontend: TelegramFrontend
    service: NarrativeService
    clock: Clock
    database_url: str


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def tg(storage: str, fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    clock = Clock(AT - timedelta(minutes=30))
    service = NarrativeService(clock=clock)
    await service.seed_leaders()
    settings = Settings(
        telegram_token=SecretStr(fake_telegram.token),
        telegram_api_url=fake_telegram.url,
        database_url=storage,
    )
    frontend = await start_telegram(settings, service, poll_timeout=30)
    try:
        bot = Bot(fake_telegram, frontend, service, clock, storage)
        yield bot
    finally:
        await bot.frontend.stop()
