"""Who may change a Telegram chat's settings, and who a command's sender is.

Settings (alerts, thresholds, muted items, the chat's follow list) need the admin right that
fits: "Change group info" (`can_change_info`), which the owner always has. Any other admin
status is not enough. In a channel only admins can post at all, and what the bot posts there
is what they run, so a channel post may change the channel's settings. An anonymous group
admin posts as the group itself; Telegram does not say which admin it was, so their rights
cannot be checked and they are told to stop being anonymous to change settings.
"""

from __future__ import annotations

import enum
import logging

from telegram import Chat, ChatMemberAdministrator, ChatMemberOwner, Message, User
from telegram.error import TelegramError
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class Authority(enum.Enum):
    ALLOWED = "allowed"
    NOT_ADMIN = "not_admin"
    MISSING_RIGHT = "missing_right"  # an admin without "Change group info"
    ANONYMOUS = "anonymous"  # an anonymous admin: rights unknown


def sender_id(chat: Chat, user: User | None, message: Message | None) -> str:
    """The id a command's sender is known by (their watch list, their direct messages).

    Messages sent as a chat (an anonymous admin posts as the group, a channel posts as itself)
    come from one shared placeholder user (GroupAnonymousBot, Channel_Bot) in every group, so
    those senders are keyed by that chat's id instead: each group or channel gets its own list.
    """
    if message is not None and message.sender_chat is not None:
        return str(message.sender_chat.id)
    return str(user.id if user else chat.id)


async def authority(
    bot: ExtBot[None], chat: Chat, user: User | None, message: Message | None = None
) -> Authority:
    """May this sender change the chat's settings? (Private chats: always.)"""
    if chat.type == Chat.PRIVATE:
        return Authority.ALLOWED
    if message is not None and message.sender_chat is not None:
        if chat.type == Chat.CHANNEL and message.sender_chat.id == chat.id:
            return Authority.ALLOWED  # only a channel's admins post in it
        if message.sender_chat.id == chat.id:
            return Authority.ANONYMOUS
        return Authority.NOT_ADMIN  # a channel posting into a group is no admin of it
    if user is None:
        return Authority.NOT_ADMIN
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember failed in a group: %s", type(exc).__name__)
        return Authority.NOT_ADMIN
    if isinstance(member, ChatMemberOwner):
        return Authority.ALLOWED
    if isinstance(member, ChatMemberAdministrator):
        return Authority.ALLOWED if member.can_change_info else Authority.MISSING_RIGHT
    return Authority.NOT_ADMIN
