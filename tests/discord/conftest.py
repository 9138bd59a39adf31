"""The real discord.py bot against the local fake Discord, on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket

from bot.alerts.dispatcher import AlertDispatcher
from bot.config import Settings
from bot.discord.bot import DiscordFrontend, start_discord
from bot.engine import AlertEvent, NarrativeEngine, NarrativeView
from bot.engine.generator import StreamGenerator, by_interval, merge
from bot.posts import Post
from bot.service.narratives import NarrativeService
from storage.narratives import save_views
from tests.fakes.discord_server import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeUser,
    Permission,
)

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhOsTw.fake-token-for-tests-only-xxxxxxxxxxxxxxx"
GHOST_VARIANTS = ["summoning ghosts", "summoned ghosts", "#SummoningGhosts"]


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
    """The real service; its clock stands just after the replay (stream time)."""
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


# ---- a replay that really alerts -----------------------------------------------------------


def ghost_posts(seed: int = 11) -> list[Post]:
    """3.5 h of seeded chatter with one leader-seeded meme that turns viral once."""
    gen = StreamGenerator(seed)
    return merge(
        gen.background(3.5, 8),
        gen.meme(
            GHOST_VARIANTS,
            start_minute=140,
            ramp_minutes=40,
            peak_per_minute=6,
            hold_minutes=20,
            decay_minutes=10,
            authors=300,
            leader="karpathy",
            leader_text="we are summoning ghosts, not building animals",
        ),
    )


@dataclass
class Tick:
    at: datetime
    views: list[NarrativeView]
    alerts: list[AlertEvent]


@pytest.fixture(scope="session")
def ghost_ticks() -> list[Tick]:
    """The engine's output per minute of the replay, from the first non-quiet narrative on."""
    engine = NarrativeEngine(leaders=("karpathy",))
    ticks: list[Tick] = []
    for batch in by_interval(ghost_posts(), 60):
        engine.ingest(batch)
        fired = engine.tick()
        views = [v for v in engine.narratives(10) if str(v.state) != "quiet"]
        if views or fired:
            ticks.append(Tick(batch[-1].created_at, views, fired))
    assert any(t.alerts for t in ticks), "the replay must alert"
    return ticks


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
