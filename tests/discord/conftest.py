"""The real discord.py bot against the local fake Discord, on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket

from bot.alerts.dispatcher import AlertDispatcher
from bot.config import Settings
from bot.discord.bot import DiscordFrontend, start_discord
from bot.service.narratives import NarrativeService
from storage.narratives import save_views
from tests.builders import Tick, story
from tests.fakes.discord_server import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeUser,
    Permission,
)

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhOsTw.fake-token-for-tests-only-xxxxxxxxxxxxxxx"


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    alerts: FakeChannel
    admin: FakeMember
    member: FakeMember
    watcher: FakeMember

    @property
    def watcher_user(self) -> FakeUser:
        return self.watcher.user


@pytest.fixture(autouse=True)
def _restore_discord_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """configure_endpoints() changes class attributes; put them back after each test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)
    yield


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Ghost Lab")
    general = fake.add_channel(guild, "general")
    alerts = fake.add_channel(guild, "alerts")
    admin = fake.add_member(guild, "alice", permissions=Permission.MANAGE_GUILD)
    member = fake.add_member(guild, "mallory")
    watcher = fake.add_member(guild, "bob")
    return World(fake, guild, general, alerts, admin, member, watcher)


def discord_settings(fake: FakeDiscord, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": TOKEN,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def service(storage: str, ghost_ticks: list[Tick]) -> NarrativeService:
    """The real service; its clock stands at the last tick."""
    end = ghost_ticks[-1].at
    return NarrativeService(clock=lambda: end)


@pytest.fixture
async def frontend(
    fake: FakeDiscord, world: World, service: NarrativeService
) -> AsyncIterator[DiscordFrontend]:
    running = await start_discord(discord_settings(fake), service, guild_ready_timeout=0.05)
    try:
        await running.wait_ready(10)
        yield running
    finally:
        await running.stop()


@pytest.fixture
def dispatcher(frontend: DiscordFrontend, service: NarrativeService) -> AlertDispatcher:
    return AlertDispatcher({"discord": frontend.sender}, service, chat_interval=0.0)


# ---- the narrative's ticks, built as the engine gives them -----------------------------------


@pytest.fixture(scope="session")
def ghost_ticks() -> list[Tick]:
    """ "summoning ghosts" minute by minute: rising, the alert, then viral for ten minutes."""
    return story()


async def persist(ticks: list[Tick]) -> None:
    """Store the narratives as the scoring pipeline would (no alerts sent)."""
    for tick in ticks:
        await save_views(tick.views, tick.at)


async def replay_with_alerts(ticks: list[Tick], dispatcher: AlertDispatcher) -> int:
    """Store each tick's narratives and let the dispatcher deliver; returns alerts sent."""
    sent = 0
    for tick in ticks:
        await save_views(tick.views, tick.at)
        report = await dispatcher.dispatch(tick.views, tick.alerts)
        sent += report.sent
    return sent


def channel_option(channel: FakeChannel) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A CHANNEL option and its `resolved` entry, as Discord sends them."""
    options = [{"name": "channel", "type": 7, "value": channel.id}]
    resolved = {
        "channels": {
            channel.id: {
                "id": channel.id,
                "name": channel.name,
                "type": 0,
                "permissions": str(Permission.MEMBER),
                "guild_id": channel.guild_id,
            }
        }
    }
    return options, resolved


def subcommand(name: str, options: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [{"name": name, "type": 1, "options": options or []}]
