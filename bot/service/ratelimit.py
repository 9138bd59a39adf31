"""Command rate limits per user and per chat, shared by both front ends.

Command replies cost the bot's own platform budget: a Telegram group takes about 20 messages a
minute, and a group pushed into flood control also stops getting its alerts. So each user and
each chat has a token bucket. The first command over a limit gets one polite reply; further
ones get silence until the bucket refills (a reply to every excess command would be the flood).
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.metrics import COMMANDS_LIMITED


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit: answer once, politely, then ...
    SILENT = "silent"  # ... ignore until the bucket refills


@dataclass(frozen=True, slots=True)
class Rate:
    burst: int  # commands allowed back to back
    every: float  # seconds to earn one more


USER_RATE = Rate(burst=5, every=4.0)  # ~15 a minute once the burst is spent
CHAT_RATE = Rate(burst=10, every=3.0)  # ~20 a minute: Telegram's per-group message budget
MAX_TRACKED = 20_000  # buckets kept (least recently used go first; a refilled one is no loss)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class CommandLimiter:
    def __init__(
        self,
        *,
        user: Rate | None = None,
        chat: Rate | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        # The module defaults are read here, not at import, so a test suite can relax them.
        self.rates = {"user": user or USER_RATE, "chat": chat or CHAT_RATE}
        self.clock = clock
        self.max_tracked = max_tracked
        self._buckets: OrderedDict[tuple[str, str, str], _Bucket] = OrderedDict()

    def check(self, platform: str, chat_id: str, user_id: str) -> Verdict:
        """Count one command by `user_id` in `chat_id`; whether to run it."""
        now = self.clock()
        buckets = [self._bucket(("user", platform, user_id), now)]
        if chat_id != user_id:  # a private chat is the user's own budget
            buckets.append(self._bucket(("chat", platform, chat_id), now))
        empty = [b for b in buckets if b.tokens < 1.0]
        if not empty:
            for bucket in buckets:
                bucket.tokens -= 1.0
                bucket.warned = False
            return Verdict.ALLOW
        COMMANDS_LIMITED.labels(platform).inc()
        if any(b.warned for b in empty):
            return Verdict.SILENT
        for bucket in empty:
            bucket.warned = True
        return Verdict.WARN

    def _bucket(self, key: tuple[str, str, str], now: float) -> _Bucket:
        rate = self.rates[key[0]]
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(rate.burst), now)
        else:
            earned = (now - bucket.at) / rate.every if rate.every > 0 else float(rate.burst)
            bucket.tokens = min(float(rate.burst), bucket.tokens + max(0.0, earned))
            bucket.at = now
        self._buckets[key] = bucket  # most recently used last
        while len(self._buckets) > self.max_tracked:
            self._buckets.popitem(last=False)
        return bucket
