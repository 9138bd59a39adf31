"""Issue 5's "done when": with only GHOSTWATCH_TELEGRAM_TOKEN set, `ghostwatch run` answers in
Telegram and pushes alerts (a real child process against the fake Bot API)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.service.narratives import NarrativeService
from bot.service.types import Caller
from storage import db
from tests.fakes.telegram_server import FakeTelegram
from tests.system.harness import BotProcess, ghost_replay

GROUP, ADMIN, FAN = -100777, 7, 8


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def test_ghostwatch_run_with_only_a_telegram_token(
    server: FakeTelegram, tmp_path: Path
) -> None:
    database = f"sqlite://{tmp_path / 'gw.sqlite3'}"
    # A group that turned alerts on and a user watching the phrase, from an earlier run.
    await db.open_storage(database)
    try:
        service = NarrativeService()
        await service.set_alerts(Caller("telegram", str(GROUP), str(ADMIN), is_admin=True), True)
        await service.watch(Caller("telegram", str(FAN), str(FAN), True, private=True), "ghosts")
    finally:
        await db.close()
    replay = tmp_path / "replay.jsonl"
    ghost_replay(replay)
    bot = BotProcess(
        {
            "GHOSTWATCH_TELEGRAM_TOKEN": server.token,
            "GHOSTWATCH_TELEGRAM_API_URL": server.url,  # the fake instead of api.telegram.org
            "GHOSTWATCH_DATABASE_URL": database,
            "GHOSTWATCH_SOURCES": f"replay:{replay}?speed=0",
            "GHOSTWATCH_SCORE_INTERVAL": "0.5",
            "GHOSTWATCH_SHUTDOWN_TIMEOUT": "5",
        },
        tmp_path,
    ).start()
    try:
        [alert] = await server.wait_for("sendMessage", lambda c: c.chat_id == str(GROUP), within=60)
        assert "ghosts" in alert.params["text"] and "Score" in alert.params["text"]
        [direct] = await server.wait_for("sendMessage", lambda c: c.chat_id == str(FAN), within=30)
        assert "you watch phrase" in direct.params["text"]
        assert {c["command"] for c in server.commands["ja"]} >= {"ghosts", "narrative"}

        # (The replay is dated 2026-03-01, so /ghosts' recent window is empty; it still answers.)
        server.user_message(FAN, "/ghosts", user_id=FAN)
        replies = await server.wait_for(
            "sendMessage", lambda c: c.chat_id == str(FAN), count=2, within=30
        )
        assert "Emerging narratives" in replies[1].params["text"]
        server.user_message(FAN, "/narrative summoning ghosts", user_id=FAN)
        [photo] = await server.wait_for("sendPhoto", lambda c: c.chat_id == str(FAN), within=30)
        assert photo.files["photo"].startswith(b"\x89PNG")
        replies = await server.wait_for(
            "sendMessage", lambda c: c.chat_id == str(FAN), count=3, within=30
        )
        assert "first said by @\u2060karpathy" in replies[2].params["text"]
        assert server.token not in bot.text()  # never in the logs
    finally:
        bot.signal(signal.SIGTERM)
        code = await bot.wait_exit(within=30)
        bot.close()
    assert code == 0, bot.tail()
    assert len(server.sent("sendMessage", GROUP)) == 1
