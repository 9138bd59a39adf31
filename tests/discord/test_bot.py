"""Start-up: endpoint redirection, intents, sharding, resumes, a rejected token."""

from __future__ import annotations

import asyncio
import logging

import pytest
import yarl

from bot.discord.bot import GhostwatchBot, ShardedGhostwatchBot, start_discord
from bot.errors import FrontendStartError
from bot.service.narratives import NarrativeService
from tests.discord.conftest import TOKEN, World, discord_settings
from tests.fakes.discord_server import FakeDiscord

MESSAGE_CONTENT = 1 << 15
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8


async def until(condition, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_api_url_alone_redirects_the_gateway_and_no_privileged_intents(
    fake: FakeDiscord, world: World, service: NarrativeService
) -> None:
    settings = discord_settings(fake, discord_gateway_url=None)
    frontend = await start_discord(settings, service, guild_ready_timeout=0.05)
    try:
        await frontend.wait_ready(10)
        assert isinstance(frontend.bot, GhostwatchBot)
        assert fake.find("GET", "/gateway/bot")  # asked where the gateway is
        (identify,) = fake.identify_frames()
        intents = identify["d"]["intents"]
        assert not intents & (MESSAGE_CONTENT | GUILD_MEMBERS | GUILD_PRESENCES)
        assert identify["d"]["token"] == TOKEN
        for request in fake.requests:  # every REST call carried the bot token header
            assert (
                request.headers["has-authorization"] == "True" or "/interactions/" in request.path
            )
    finally:
        await frontend.stop()


async def test_reading_channels_asks_for_message_content_and_says_so(
    fake: FakeDiscord, world: World, service: NarrativeService, caplog: pytest.LogCaptureFixture
) -> None:
    settings = discord_settings(fake, discord_read_channels="123456789012345678")
    with caplog.at_level(logging.WARNING, logger="bot.discord.bot"):
        frontend = await start_discord(settings, service, guild_ready_timeout=0.05)
    try:
        await frontend.wait_ready(10)
        (identify,) = fake.identify_frames()
        assert identify["d"]["intents"] & MESSAGE_CONTENT
        assert any("message content intent" in r.getMessage() for r in caplog.records)
    finally:
        await frontend.stop()


async def test_resumes_stay_on_the_configured_gateway(
    fake: FakeDiscord, world: World, service: NarrativeService
) -> None:
    fake.resume_gateway_url = "wss://gateway-us-east1-b.discord.gg"  # what Discord would say
    frontend = await start_discord(discord_settings(fake), service, guild_ready_timeout=0.05)
    try:
        await frontend.wait_ready(10)
        bot = frontend.bot
        await until(lambda: bot.ws is not None and bot.ws.gateway == yarl.URL(fake.gateway_url))
        await fake.drop_connections()
        await until(lambda: any(f.get("op") == 6 for f in fake.gateway_frames))
        resume = next(f for f in fake.gateway_frames if f.get("op") == 6)
        assert resume["d"]["session_id"] and resume["d"]["seq"] >= 2
        callback = await fake.slash(world.guild, world.general, world.member, "status")
        assert callback.json["type"] == 4  # still serving after the resume
    finally:
        await frontend.stop()


# discord.py spaces shard IDENTIFYs 5 s apart (Discord's identify rate limit): run it once.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sharded_bot_identifies_every_shard_and_serves_commands(
    fake: FakeDiscord, world: World, service: NarrativeService
) -> None:
    other = fake.add_guild("Second Server")
    channel = fake.add_channel(other, "lobby")
    member = fake.add_member(other, "carol")
    settings = discord_settings(fake, discord_shards=2)
    frontend = await start_discord(settings, service, guild_ready_timeout=0.05)
    try:
        assert isinstance(frontend.bot, ShardedGhostwatchBot)
        await frontend.wait_ready(10)
        shards = sorted(tuple(f["d"]["shard"]) for f in fake.identify_frames())
        assert shards == [(0, 2), (1, 2)]
        assert {g.id for g in frontend.bot.guilds} == {int(world.guild.id), int(other.id)}
        for guild, where, who in (
            (world.guild, world.general, world.member),
            (other, channel, member),
        ):
            callback = await fake.slash(guild, where, who, "status")
            assert callback.json["type"] == 4
    finally:
        await frontend.stop()


async def test_rejected_token_is_one_clear_line_without_the_token(
    fake: FakeDiscord, world: World, service: NarrativeService
) -> None:
    fake.inject("GET", r"^/users/@me$", 401, {"message": "401: Unauthorized", "code": 0})
    with pytest.raises(FrontendStartError) as raised:
        await start_discord(discord_settings(fake), service)
    assert raised.value.platform == "discord" and raised.value.token_rejected
    message = str(raised.value)
    assert message.startswith("discord:") and "\n" not in message
    assert TOKEN not in message and TOKEN.split(".")[0] not in message
