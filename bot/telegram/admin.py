"""Who may change a Telegram chat's settings: anyone in a private chat, admins in groups."""

from __future__ import annotations

import logging

from telegram import Chat, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


async def is_chat_admin(
    bot: ExtBot[None], chat: Chat, user: User | None, message: Message | None = None
) -> bool:
    """True in private chats; in groups and channels, asks getChatMember for the user's status."""
    if chat.type == Chat.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        # An anonymous group admin posts as the group itself; only admins can do that.
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember failed in a group: %s", type(exc).__name__)
        return False
    return member.status in ADMIN_STATUSES
