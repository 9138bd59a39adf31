"""Telegram groups and channels as a post source (GHOSTWATCH_TELEGRAM_READ_CHATS).

Only what scoring needs is kept: the text (or a media caption), the time, a numeric author key
and a t.me link for public chats. Names, usernames and media are never read. The bot receives
group text only with privacy mode off (or as an admin), and channel posts only as an admin.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.metrics import POSTS_INGESTED
from bot.posts import Post
from bot.sources.chats import PostSink, ReadScope

log = logging.getLogger(__name__)

SOURCE = "telegram"
# After the command handlers' group 0, so a command is answered and never also read.
INTAKE_GROUP = 1
# New messages in groups and channels only: edits, private chats and service messages are not
# posts.
READ_FILTER = (
    (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST)
    & (filters.ChatType.GROUPS | filters.ChatType.CHANNEL)
    & (filters.TEXT | filters.CAPTION)
)


class ChatScope(ReadScope):
    """Telegram chats read as sources: the configured ids, or every group and channel ("all")."""


def message_to_post(message: Message) -> Post | None:
    """The Post for a group message or channel post; None for commands, bots and empty text."""
    text = (message.text or message.caption or "").strip()
    if not text or text.startswith("/"):
        return None
    user = message.from_user
    if (user is not None and user.is_bot) or message.via_bot is not None:
        return None
    chat = message.chat
    # Channel posts and anonymous admins speak as a chat; keep ids, never names (stable, and a
    # renamed account cannot pose as a shipped leader handle).
    sender = message.sender_chat
    if sender is not None:
        author = f"telegram:chat:{sender.id}"
    elif user is not None:
        author = f"telegram:{user.id}"
    else:
        return None
    url = f"https://t.me/{chat.username}/{message.message_id}" if chat.username else None
    return Post(
        id=f"telegram:{chat.id}:{message.message_id}",
        source=SOURCE,
        author=author,
        text=text,
        created_at=message.date,
        url=url,
    )


class TelegramIntake:
    """Hands messages from the read chats to the sink as Posts, counted per source."""

    def __init__(self, scope: ChatScope, sink: PostSink) -> None:
        self.scope = scope
        self.sink = sink

    def install(self, app: Application) -> None:
        app.add_handler(MessageHandler(READ_FILTER, self.on_message), group=INTAKE_GROUP)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message or update.channel_post
        if message is None or message.chat.id not in self.scope:
            return
        post = message_to_post(message)
        if post is None:
            return
        self.sink([post])
        POSTS_INGESTED.labels(SOURCE).inc()
