"""What the chat front ends share when they read messages as posts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.posts import Post

PostSink = Callable[[Sequence[Post]], None]


class ReadScope:
    """Which chats or channels are read: the configured ids, or every one ("all")."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.all = any(value.lower() == "all" for value in ids)
        self.ids = frozenset(int(value) for value in ids if value.lower() != "all")

    def __bool__(self) -> bool:
        return self.all or bool(self.ids)

    def __contains__(self, chat_id: object) -> bool:
        return self.all or chat_id in self.ids
