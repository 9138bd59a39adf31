"""Start-up under bad conditions: corrupt checkpoint, PostgreSQL down, a wrong token."""

from __future__ import annotations

import asyncio
import signal

from storage import db
from storage.models import EngineCheckpoint
from tests.system.conftest import DISCORD_TOKEN, World, seed_subscriptions

WRONG_TELEGRAM_TOKEN = "999999:WRONG-token_abcdefghijklmnopqrstuvwx"


async def test_corrupt_checkpoint_is_discarded_and_the_bot_still_alerts(
    world: World, sqlite_url: str
) -> None:
    await seed_subscriptions(sqlite_url, world)
    await db.open_storage(sqlite_url)
    try:
        bad = await EngineCheckpoint.create(version=1, data=b"GWENGINE\x00\x01 not an engine")
    finally:
        await db.close()
    bot = world.bot(world.env(sqlite_url))
    message = await bot.wait_log(lambda m: m.startswith("discarding engine checkpoint"))
    assert f"#{bad.id}" in message
    await bot.wait_log(lambda m: m == "engine starting cold (no usable checkpoint)")
    await bot.wait_ready()
    await world.telegram.wait_for(
        "sendMessage", lambda c: c.chat_id == world.telegram_chats[0], within=60
    )
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(within=15) == 0


async def test_postgres_down_retries_then_exits_non_zero_with_one_clear_line(
    world: World,
) -> None:
    env = world.env(
        "postgres://ghostwatch:s3cret-pw@127.0.0.1:1/ghostwatch",
        GHOSTWATCH_STARTUP_RETRIES="2",
        GHOSTWATCH_STARTUP_BACKOFF="0.2",
    )
    bot = world.bot(env)
    code = await bot.wait_exit(within=30)
    assert code == 1
    text = bot.text()
    assert "Traceback" not in text
    assert "s3cret-pw" not in text
    retries = [m for m in bot.messages() if "retry" in m]
    assert len(retries) == 2 and "retry 2/2" in retries[-1]
    last = text.strip().splitlines()[-1]
    assert last.startswith("ghostwatch: cannot open database postgres://ghostwatch:***@127.0.0.1:1")


async def test_wrong_telegram_token_is_named_and_discord_keeps_working(
    world: World, sqlite_url: str
) -> None:
    await seed_subscriptions(sqlite_url, world)
    bot = world.bot(world.env(sqlite_url, GHOSTWATCH_TELEGRAM_TOKEN=WRONG_TELEGRAM_TOKEN))
    message = await bot.wait_log(lambda m: m.startswith("telegram:"))
    assert "GHOSTWATCH_TELEGRAM_TOKEN" in message and "rejected" in message
    await bot.wait_ready()
    await world.discord.wait_for("POST", rf"/channels/{world.channel.id}/messages", within=60)
    await asyncio.sleep(1.0)
    assert world.discord_alerts() == 1
    assert world.telegram.sent("sendMessage") == []
    text = bot.text()
    assert WRONG_TELEGRAM_TOKEN not in text and DISCORD_TOKEN not in text
    assert "Traceback" not in text
    bot.signal(signal.SIGINT)
    assert await bot.wait_exit(within=15) == 0


async def test_no_platform_token_writes_alerts_to_the_console(
    world: World, sqlite_url: str
) -> None:
    env = world.env(sqlite_url)
    del env["GHOSTWATCH_TELEGRAM_TOKEN"], env["GHOSTWATCH_DISCORD_TOKEN"]
    bot = world.bot(env)
    await bot.wait_log(lambda m: "alerts are written to the console" in m)
    await bot.wait_ready()
    deadline = asyncio.get_running_loop().time() + 60
    while "Emerging narrative" not in bot.text() and "Viral narrative" not in bot.text():
        assert asyncio.get_running_loop().time() < deadline, bot.tail()
        await asyncio.sleep(0.1)
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(within=15) == 0


async def test_second_signal_forces_exit(world: World, sqlite_url: str) -> None:
    await seed_subscriptions(sqlite_url, world)
    # Telegram stops answering: the delivery pass waits on it, and an orderly stop gives the
    # last deliveries up to the shutdown timeout, so it takes long. (Flood control no longer
    # does: a chat told to wait is deferred, not waited for.)
    release = world.telegram.hold("sendMessage")
    bot = world.bot(world.env(sqlite_url, GHOSTWATCH_SHUTDOWN_TIMEOUT="40"))
    await world.telegram.wait_for(
        "sendMessage",
        lambda c: c.chat_id in world.telegram_chats,
        within=60,
        include_failed=True,
    )
    bot.signal(signal.SIGTERM)
    await bot.wait_log(lambda m: "shutting down" in m)
    await asyncio.sleep(0.5)
    assert bot.proc is not None and bot.proc.poll() is None  # still stopping in order
    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(within=5) == 130
    assert any("forcing exit" in m for m in bot.messages())
    release.set()


async def test_ingest_role_on_sqlite_is_refused_with_a_usage_error(
    world: World, sqlite_url: str
) -> None:
    bot = world.bot(world.env(sqlite_url), role="ingest")
    assert await bot.wait_exit(within=20) == 2
    last = bot.text().strip().splitlines()[-1]
    assert last.startswith("ghostwatch: --role ingest needs a PostgreSQL GHOSTWATCH_DATABASE_URL")
