"""/status on Telegram names sources by display name: no configured URL secret is shown."""

from __future__ import annotations

from pydantic import SecretStr

from bot.config import Settings
from bot.service.narratives import NarrativeService
from bot.telegram.app import start_telegram
from tests.fakes.secret_sources import SECRETS, run_secret_feeds
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.upstream import UpstreamFake, upstream

__all__ = ["upstream"]


async def test_status_shows_failing_feeds_without_their_secrets(
    storage: str, fake_telegram: FakeTelegram, upstream: UpstreamFake
) -> None:
    run = await run_secret_feeds(upstream)
    await run.http.close()
    service = NarrativeService(health=run.health.snapshot)
    settings = Settings(
        telegram_token=SecretStr(fake_telegram.token),
        telegram_api_url=fake_telegram.url,
        database_url=storage,
    )
    frontend = await start_telegram(settings, service, poll_timeout=30)
    try:
        fake_telegram.user_message(21, "/status", user_id=21, chat_type="private")
        [reply] = await fake_telegram.wait_for("sendMessage", lambda c: c.chat_id == "21")
    finally:
        await frontend.stop()
    text = reply.params["text"]
    for source in run.scheduler.sources.polling:
        assert source.name in text  # each feed is listed, by display name
    assert "HTTP 500 from 127.0.0.1" in text  # with its error
    assert [s for s in SECRETS if s in text] == [], text
