"""Command rate limits: a burst, then one polite refusal, then silence until the bucket refills."""

from __future__ import annotations

from dataclasses import dataclass

from bot.metrics import REGISTRY
from bot.service.ratelimit import CommandLimiter, Rate, Verdict


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def limited(platform: str) -> float:
    value = REGISTRY.get_sample_value("ghostwatch_commands_limited_total", {"platform": platform})
    return value or 0.0


def test_a_user_gets_a_burst_then_one_warning_then_silence() -> None:
    clock = Clock()
    limiter = CommandLimiter(user=Rate(3, 10.0), chat=Rate(100, 1.0), clock=clock)
    before = limited("t")
    verdicts = [limiter.check("t", "group", "spammer") for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.WARN] + [Verdict.SILENT] * 2
    assert limited("t") == before + 3
    # Someone else in the same chat is not affected.
    assert limiter.check("t", "group", "other") is Verdict.ALLOW
    # After one refill interval: one more command, and the next excess is warned again.
    clock.now += 10.0
    assert limiter.check("t", "group", "spammer") is Verdict.ALLOW
    assert limiter.check("t", "group", "spammer") is Verdict.WARN


def test_a_chat_has_its_own_budget_across_users() -> None:
    clock = Clock()
    limiter = CommandLimiter(user=Rate(100, 1.0), chat=Rate(4, 5.0), clock=clock)
    verdicts = [limiter.check("t", "group", f"user{i}") for i in range(7)]
    assert verdicts == [Verdict.ALLOW] * 4 + [Verdict.WARN] + [Verdict.SILENT] * 2
    assert limiter.check("t", "other group", "user0") is Verdict.ALLOW
    # A private chat (chat id == user id) spends only the user's budget.
    assert limiter.check("t", "user9", "user9") is Verdict.ALLOW


def test_platforms_are_separate_and_memory_stays_bounded() -> None:
    limiter = CommandLimiter(user=Rate(1, 60.0), chat=Rate(100, 1.0), max_tracked=50)
    assert limiter.check("telegram", "c", "1") is Verdict.ALLOW
    assert limiter.check("discord", "c", "1") is Verdict.ALLOW
    for i in range(1000):
        limiter.check("telegram", f"chat{i}", f"user{i}")
    assert len(limiter._buckets) <= 50
