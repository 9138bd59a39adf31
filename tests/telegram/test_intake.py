"""Telegram groups and channels as a post source: real PTB polling the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import ConfigError, Settings, load_settings
from bot.metrics import POSTS_INGESTED
from bot.posts import Post
from bot.service.narratives import NarrativeService
from bot.telegram.app import start_telegram
from tests.fakes.post_sink import Sink
from tests.fakes.telegram_server import FakeTelegram

GROUP = -1001110001
CHANNEL = -1002220002
OTHER = -1003330003
DATE = 1772366405  # 2026-03-01T12:00:05Z


@asynccontextmanager
async def running(
    fake: FakeTelegram, sink: Callable[[Sequence[Post]], None] | None, **settings: Any
) -> AsyncIterator[None]:
    fake.honour_allowed_updates = True
    values = Settings(telegram_token=SecretStr(fake.token), telegram_api_url=fake.url, **settings)
    service = NarrativeService(clock=lambda: datetime.fromtimestamp(DATE, UTC))
    frontend = await start_telegram(values, service, poll_timeout=30, post_sink=sink)
    try:
        yield
    finally:
        await frontend.stop()


async def all_fetched(fake: FakeTelegram) -> None:
    """Until the bot has confirmed every queued update (PTB fetched and dispatched them)."""
    last = fake.next_update_id - 1
    # The confirming poll is still open (long polling), hence include_failed (any status).
    await fake.wait_for(
        "getUpdates", lambda c: int(c.params.get("offset") or 0) > last, include_failed=True
    )


def ingested() -> float:
    return POSTS_INGESTED.labels("telegram")._value.get()


async def test_group_messages_and_channel_posts_become_posts(fake_telegram: FakeTelegram) -> None:
    sink = Sink()
    before = ingested()
    async with running(fake_telegram, sink, telegram_read_chats=f"{GROUP},{CHANNEL}"):
        sent = fake_telegram.chat_message(
            GROUP, "we are summoning ghosts", user_id=501, username="ghostlab", date=DATE
        )
        post = await sink.wait_for("we are summoning ghosts")
        assert post == Post(
            id=f"telegram:{GROUP}:{sent['message_id']}",
            source="telegram",
            author="telegram:501",
            text="we are summoning ghosts",
            created_at=datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC),
            url=f"https://t.me/ghostlab/{sent['message_id']}",
        )
        # A private channel: no public link; the channel itself is the author.
        fake_telegram.channel_post(CHANNEL, "vibe coding is here", date=DATE + 60)
        post = await sink.wait_for("vibe coding is here")
        assert post.author == f"telegram:chat:{CHANNEL}" and post.url is None
        assert post.created_at == datetime(2026, 3, 1, 12, 1, 5, tzinfo=UTC)
        fake_telegram.chat_message(GROUP, "a photo of ghosts", user_id=502, caption=True)
        assert (await sink.wait_for("a photo of ghosts")).author == "telegram:502"
        fake_telegram.chat_message(GROUP, "anon admin says hi", user_id=None, sender_chat_id=GROUP)
        assert (await sink.wait_for("anon admin says hi")).author == f"telegram:chat:{GROUP}"
    assert len(sink.posts) == 4
    assert all(Post.from_json(p.to_json()) == p for p in sink.posts)  # valid replay lines too
    assert ingested() - before == 4
    polls = fake_telegram.sent("getUpdates")
    assert polls and "channel_post" in polls[-1].params["allowed_updates"]


async def test_other_chats_bots_commands_edits_and_private_chats_are_not_read(
    fake_telegram: FakeTelegram,
) -> None:
    sink = Sink()
    fake = fake_telegram
    async with running(fake, sink, telegram_read_chats=f"{GROUP},{CHANNEL},77"):
        fake.chat_message(OTHER, "elsewhere ghosts", user_id=501)
        fake.channel_post(OTHER, "elsewhere channel ghosts")
        fake.chat_message(GROUP, "a bot talks", user_id=600, is_bot=True)
        fake.chat_message(GROUP, "/help", user_id=501)
        fake.chat_message(GROUP, "edited ghosts", user_id=501, edited=True)
        fake.channel_post(CHANNEL, "edited channel ghosts", edited=True)
        fake.user_message(77, "private ghosts", user_id=77)  # a private chat, even if listed
        # The command is answered as usual, and not read as a post.
        await fake.wait_for("sendMessage", lambda c: c.chat_id == str(GROUP))
        await all_fetched(fake)
        fake.chat_message(GROUP, "marker", user_id=501)
        await sink.wait_for("marker")
    assert [p.text for p in sink.posts] == ["marker"]


async def test_all_reads_every_group_and_channel(fake_telegram: FakeTelegram) -> None:
    sink = Sink()
    async with running(fake_telegram, sink, telegram_read_chats="all"):
        fake_telegram.chat_message(OTHER, "any group", user_id=1, chat_type="group")
        fake_telegram.channel_post(CHANNEL, "any channel")
        await sink.wait_for("any group")
        await sink.wait_for("any channel")


@pytest.mark.parametrize(
    ("read_chats", "sink"),
    [("", Sink()), (f"{GROUP},{CHANNEL}", None)],
    ids=["setting-unset", "no-sink"],
)
async def test_nothing_is_read_unless_both_setting_and_sink_are_given(
    fake_telegram: FakeTelegram, read_chats: str, sink: Sink | None
) -> None:
    fake = fake_telegram
    before = ingested()
    async with running(fake, sink, telegram_read_chats=read_chats):
        fake.chat_message(GROUP, "ghosts in the group", user_id=501)
        fake.channel_post(CHANNEL, "ghosts in the channel")
        fake.user_message(501, "/help", user_id=501)
        await fake.wait_for("sendMessage", lambda c: c.chat_id == "501")
        await all_fetched(fake)
        polls = fake.sent("getUpdates")
    assert "channel_post" not in polls[-1].params["allowed_updates"]
    assert sink is None or sink.posts == []
    assert ingested() == before


@pytest.mark.parametrize("value", ["ghostlab", "all,-100123", "-1.5"])
def test_bad_read_chats_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(telegram_read_chats=value)
    message = str(raised.value)
    assert "GHOSTWATCH_TELEGRAM_READ_CHATS" in message and "\n" not in message


def test_read_chats_accepts_ids_and_all() -> None:
    assert load_settings(telegram_read_chats=" -100123 , 55").telegram_read_chats == [
        "-100123",
        "55",
    ]
    assert load_settings(telegram_read_chats="ALL").telegram_read_chats == ["all"]
    assert load_settings().telegram_read_chats == []
