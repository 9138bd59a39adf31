"""Discord channels as a post source: real discord.py on the fake gateway (MESSAGE_CREATE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.config import ConfigError, load_settings
from bot.discord.bot import DiscordFrontend, start_discord
from bot.metrics import POSTS_INGESTED
from bot.posts import Post
from bot.service.narratives import NarrativeService
from tests.discord.conftest import World, discord_settings
from tests.fakes.discord_server import MESSAGE_CONTENT_INTENT, FakeDiscord
from tests.fakes.post_sink import Sink

MEMBER_JOIN = 7  # a system message type


@asynccontextmanager
async def running(
    fake: FakeDiscord, sink: Sink | None, **settings: Any
) -> AsyncIterator[DiscordFrontend]:
    service = NarrativeService(clock=lambda: datetime.now(UTC))
    frontend = await start_discord(
        discord_settings(fake, **settings), service, post_sink=sink, guild_ready_timeout=0.05
    )
    try:
        await frontend.wait_ready(10)
        yield frontend
    finally:
        await frontend.stop()


def ingested() -> float:
    return POSTS_INGESTED.labels("discord")._value.get()


def intents(fake: FakeDiscord) -> int:
    (identify,) = fake.identify_frames()
    return int(identify["d"]["intents"])


async def test_messages_in_read_channels_become_posts(fake: FakeDiscord, world: World) -> None:
    sink = Sink()
    before = ingested()
    async with running(fake, sink, discord_read_channels=world.general.id):
        assert intents(fake) & MESSAGE_CONTENT_INTENT
        text = f"hey <@{world.watcher.user.id}>, we are summoning ghosts"
        sent = await fake.user_message(world.general, world.member.user, text)
        post = await sink.wait_for("hey @Bob, we are summoning ghosts")  # clean_content
    message_id = int(sent["id"])
    assert post == Post(
        id=f"discord:{message_id}",
        source="discord",
        author=f"discord:{world.member.user.id}",
        text="hey @Bob, we are summoning ghosts",
        created_at=discord.utils.snowflake_time(message_id),
        url=f"https://discord.com/channels/{world.guild.id}/{world.general.id}/{message_id}",
    )
    assert abs(post.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert Post.from_json(post.to_json()) == post
    assert ingested() - before == 1


async def test_other_channels_bots_webhooks_and_system_messages_are_not_read(
    fake: FakeDiscord, world: World
) -> None:
    sink = Sink()
    helper = fake.add_user("helperbot")
    helper.bot = True
    author = world.member.user
    async with running(fake, sink, discord_read_channels=world.general.id):
        await fake.user_message(world.alerts, author, "ghosts in another channel")
        await fake.user_message(world.general, helper, "ghosts from a bot")
        await fake.user_message(world.general, fake.bot_user, "ghosts from ghostwatch itself")
        await fake.user_message(world.general, author, "ghosts via webhook", webhook_id="99")
        await fake.user_message(world.general, author, "joined", message_type=MEMBER_JOIN)
        await fake.user_message(world.general, author, "   ")
        await fake.user_message(world.general, author, "marker")
        # Gateway events are dispatched in order, and the intake's handler finishes in one
        # step: once the last message is read, every earlier one was handled (and dropped).
        await sink.wait_for("marker")
    assert [p.text for p in sink.posts] == ["marker"]


async def test_all_reads_every_channel(fake: FakeDiscord, world: World) -> None:
    sink = Sink()
    async with running(fake, sink, discord_read_channels="all"):
        await fake.user_message(world.alerts, world.member.user, "first")
        await fake.user_message(world.general, world.admin.user, "second")
        first, second = await sink.wait_for("first"), await sink.wait_for("second")
    assert first.author != second.author
    assert str(world.alerts.id) in (first.url or "") and str(world.general.id) in (second.url or "")


async def test_without_the_setting_no_content_intent_and_nothing_read(
    fake: FakeDiscord, world: World
) -> None:
    sink = Sink()
    seen: list[discord.Message] = []
    got = asyncio.Event()

    async def spy(message: discord.Message) -> None:
        seen.append(message)
        if len(seen) == 2:
            got.set()

    before = ingested()
    async with running(fake, sink) as frontend:
        assert not intents(fake) & MESSAGE_CONTENT_INTENT
        frontend.bot.add_listener(spy, "on_message")
        await fake.user_message(world.general, world.member.user, "summoning ghosts")
        # A later message: once the spy has it, every handler of the first one has run.
        await fake.user_message(world.general, world.member.user, "later")
        await asyncio.wait_for(got.wait(), 10)
    # discord.py received the messages, but (as on Discord) without their text, and read nothing.
    assert [m.content for m in seen] == ["", ""]
    assert sink.posts == [] and ingested() == before


@pytest.mark.parametrize("value", ["general", "all,123456789012345678", "12"])
def test_bad_read_channels_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(discord_read_channels=value)
    message = str(raised.value)
    assert "GHOSTWATCH_DISCORD_READ_CHANNELS" in message and "\n" not in message
