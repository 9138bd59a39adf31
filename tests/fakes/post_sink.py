"""A post sink that records what a front end hands the scoring pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.posts import Post


class Sink:
    """Collects posts; `wait_for` waits until one with the given text arrives."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._changed = asyncio.Event()

    def __call__(self, posts: Sequence[Post]) -> None:
        self.posts.extend(posts)
        self._changed.set()

    async def wait_for(self, text: str, within: float = 10.0) -> Post:
        async def found() -> Post:
            while True:
                for post in self.posts:
                    if post.text == text:
                        return post
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)
