"""A replay of old posts through `ghostwatch run`: /ghosts and "… ago" use the stream's time."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_server import FakeTelegram
from tests.system.harness import BotProcess, ghost_replay

USER = 8


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        fake.user_message(USER, "wake up", user_id=USER)  # end a dead bot's held long poll
        await fake.stop()


async def _ask(server: FakeTelegram, text: str, replies: int) -> str:
    server.user_message(USER, text, user_id=USER)
    calls = await server.wait_for(
        "sendMessage", lambda c: c.chat_id == str(USER), count=replies, within=30
    )
    return str(calls[replies - 1].params["text"])


async def test_replayed_narrative_is_listed_with_a_sane_age_also_after_a_restart(
    server: FakeTelegram, tmp_path: Path
) -> None:
    replay = tmp_path / "replay.jsonl"
    posts = ghost_replay(replay)  # dated 2026-03-01, months before any test run
    seed = min(p.created_at for p in posts if p.author == "karpathy")
    newest = max(p.created_at for p in posts)
    env = {
        "GHOSTWATCH_TELEGRAM_TOKEN": server.token,
        "GHOSTWATCH_TELEGRAM_API_URL": server.url,
        "GHOSTWATCH_DATABASE_URL": f"sqlite://{tmp_path / 'gw.sqlite3'}",
        "GHOSTWATCH_SOURCES": f"replay:{replay}?speed=0",
        "GHOSTWATCH_SCORE_INTERVAL": "0.5",
        "GHOSTWATCH_SHUTDOWN_TIMEOUT": "5",
    }
    replies = 0
    for name in ("bot", "bot-again"):
        bot = BotProcess(env, tmp_path, name=name).start()
        try:
            await bot.wait_log(lambda m: "finished after" in m, within=60)
            await bot.wait_log(lambda m: m.startswith("ghostwatch running"))
            listing = ""
            for _ in range(20):  # the replay's last posts may still be in a scoring tick
                replies += 1
                listing = await _ask(server, "/ghosts", replies)
                if re.search(r"<b>summon\w* ghosts</b>", listing):
                    break
                await asyncio.sleep(0.25)
            assert re.search(r"<b>summon\w* ghosts</b>", listing), listing
            replies += 1
            detail = await _ask(server, "/narrative summoning ghosts", replies)
            match = re.search(r"first said by @\u2060karpathy ([\d.]+) (min|h|d) ago", detail)
            assert match, detail
            hours = float(match.group(1)) / (60 if match.group(2) == "min" else 1)
            assert match.group(2) != "d"
            expected = (newest - seed).total_seconds() / 3600
            assert abs(hours - expected) <= 0.25, (hours, expected)
        finally:
            bot.signal(signal.SIGTERM)
            code = await bot.wait_exit(within=30)
            bot.close()
        assert code == 0, bot.tail()
