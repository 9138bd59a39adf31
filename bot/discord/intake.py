"""Discord channels as a post source (GHOSTWATCH_DISCORD_READ_CHANNELS).

Only what scoring needs is kept: the message text (mentions rendered as names by
`clean_content`), the time, the author's numeric id and the message link. Attachments, embeds,
member lists and names are never read. Reading needs the privileged message content intent.
"""

from __future__ import annotations

import logging

import discord

from bot.metrics import POSTS_INGESTED
from bot.posts import Post
from bot.sources.chats import PostSink, ReadScope

log = logging.getLogger(__name__)

SOURCE = "discord"
# Plain messages and replies; joins, pins, boosts and the like are not posts.
POST_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


class ChannelScope(ReadScope):
    """Discord channels read as sources: the configured ids, or every visible channel ("all")."""

    def covers(self, channel: object) -> bool:
        """A listed channel, or a thread whose parent channel is listed."""
        if self.all:
            return True
        ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
        return not self.ids.isdisjoint(ids)


def message_to_post(message: discord.Message) -> Post | None:
    """The Post for a member's guild message; None for bots, webhooks, system and empty ones."""
    if message.guild is None or message.author.bot or message.webhook_id is not None:
        return None
    if message.type not in POST_TYPES:
        return None
    text = message.clean_content.strip()
    if not text:
        return None
    return Post(
        id=f"discord:{message.id}",
        source=SOURCE,
        # The numeric id: stable across renames, and a member named like a shipped leader
        # handle cannot pass as that leader.
        author=f"discord:{message.author.id}",
        text=text,
        created_at=message.created_at,
        url=message.jump_url,
    )


class DiscordIntake:
    """An `on_message` listener handing messages from the read channels to the sink as Posts."""

    def __init__(self, scope: ChannelScope, sink: PostSink) -> None:
        self.scope = scope
        self.sink = sink

    async def on_message(self, message: discord.Message) -> None:
        if not self.scope.covers(message.channel):
            return
        post = message_to_post(message)
        if post is None:
            return
        self.sink([post])
        POSTS_INGESTED.labels(SOURCE).inc()
