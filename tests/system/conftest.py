"""Fake Telegram and Discord servers plus a seeded database for whole-system runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storage import db
from storage import subscriptions as sub_store
from tests.fakes.discord_server import FakeChannel, FakeDiscord, FakeGuild
from tests.fakes.telegram_server import FakeTelegram
from tests.system.harness import BotProcess, ghost_replay

DISCORD_TOKEN = "fake-discord-token-for-system-tests"


@dataclass
class World:
    """Everything one system test runs against."""

    tmp: Path
    telegram: FakeTelegram
    discord: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    replay: Path
    telegram_chats: list[str]
    processes: list[BotProcess] = field(default_factory=list)

    def env(self, database_url: str, **extra: str) -> dict[str, str]:
        env = {
            "GHOSTWATCH_DATABASE_URL": database_url,
            "GHOSTWATCH_SOURCES": f"replay:{self.replay}?speed=0",
            "GHOSTWATCH_SCORE_INTERVAL": "0.5",
            "GHOSTWATCH_TELEGRAM_TOKEN": self.telegram.token,
            "GHOSTWATCH_TELEGRAM_API_URL": self.telegram.url,
            "GHOSTWATCH_DISCORD_TOKEN": DISCORD_TOKEN,
            "GHOSTWATCH_DISCORD_API_URL": self.discord.api_url,
            "GHOSTWATCH_DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "GHOSTWATCH_LEADER_RETRY_INTERVAL": "0.3",
            "GHOSTWATCH_SHUTDOWN_TIMEOUT": "5",
            "GHOSTWATCH_STARTUP_BACKOFF": "0.2",
        }
        env.update(extra)
        return env

    def bot(self, env: dict[str, str], name: str = "bot", role: str = "all") -> BotProcess:
        process = BotProcess(env, self.tmp, role=role, name=name)
        self.processes.append(process)
        return process.start()

    def telegram_alerts(self, chat_id: str) -> int:
        return len(self.telegram.sent("sendMessage", chat_id))

    def discord_alerts(self) -> int:
        return len(self.discord.find("POST", rf"/channels/{self.channel.id}/messages", _ok))


def _ok(recorded: object) -> bool:
    return getattr(recorded, "status", 200) < 300


async def seed_subscriptions(database_url: str, world: World) -> None:
    """The chats that asked for alerts (as /alerts on and /alerts channel would store them)."""
    await db.open_storage(database_url)
    try:
        for chat in world.telegram_chats:
            await sub_store.upsert(
                "telegram", chat, defaults={"threshold": 60.0, "language": "en", "enabled": True}
            )
        await sub_store.upsert(
            "discord",
            world.channel.id,
            defaults={
                "threshold": 60.0,
                "language": "en",
                "enabled": True,
                "guild_id": world.guild.id,
            },
        )
    finally:
        await db.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    telegram = FakeTelegram()
    await telegram.start()
    discord = FakeDiscord(heartbeat_interval_ms=5000)
    await discord.start()
    guild = discord.add_guild("Ghost Lab")
    channel = discord.add_channel(guild, "alerts")
    replay = tmp_path / "replay.jsonl"
    ghost_replay(replay)
    world = World(tmp_path, telegram, discord, guild, channel, replay, ["-1001", "-1002"])
    try:
        yield world
    finally:
        for process in world.processes:
            process.close()
        # A dead bot's getUpdates long poll would hold the fake's shutdown for 30 s: wake it.
        telegram.user_message(1, "wake up", user_id=1)
        await discord.stop()
        await telegram.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite://{tmp_path / 'ghostwatch.sqlite3'}"
