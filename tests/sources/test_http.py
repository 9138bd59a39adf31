"""The shared HTTP layer against the fake: 429s, 5xx backoff, breakers, bad payloads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.metrics import BREAKER_OPEN, PAYLOADS_SKIPPED, RATE_LIMIT_WAITS
from bot.sources.base import MemoryCursorStore
from bot.sources.hackernews import HackerNewsSource
from bot.sources.health import HealthRegistry, safe_error
from bot.sources.http import (
    BreakerOpenError,
    HttpClient,
    PayloadError,
    RateLimit,
    RateLimiter,
    UpstreamError,
    retry_after_seconds,
)
from bot.tokens.dexscreener import DexScreenerSource
from bot.tokens.geckoterminal import GeckoTerminalSource
from tests.fakes.upstream import Fault, UpstreamFake, load_json, upstream

__all__ = ["upstream"]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.05, retries=3)
    yield client
    await client.close()


def gecko(
    upstream: UpstreamFake, http: HttpClient, name: str = "geckoterminal"
) -> GeckoTerminalSource:
    return GeckoTerminalSource(
        name, http=http, cursors=MemoryCursorStore(), base_url=f"{upstream.base}/gecko/api/v2"
    )


def hn(upstream: UpstreamFake, http: HttpClient, name: str = "hackernews") -> HackerNewsSource:
    return HackerNewsSource(
        name, http=http, cursors=MemoryCursorStore(), base_url=f"{upstream.base}/hn/api/v1"
    )


async def test_429_with_retry_after_is_waited_out(upstream: UpstreamFake, http: HttpClient) -> None:
    waits_before = RATE_LIMIT_WAITS.labels("geckoterminal")._value.get()
    upstream.fail(
        "gecko", Fault.reply(429, {"Retry-After": "1"}, load_json("geckoterminal_429.json"))
    )
    started = time.monotonic()
    launches = await gecko(upstream, http).poll()
    elapsed = time.monotonic() - started
    assert {launch.symbol for launch in launches} == {"SGHOST", "MEOW"}
    first, second = upstream.calls("gecko")
    assert second.at - first.at >= 0.95  # the server asked for one second
    assert elapsed < 3
    assert RATE_LIMIT_WAITS.labels("geckoterminal")._value.get() > waits_before
    assert http.health.get("geckoterminal").consecutive_failures == 0


async def test_5xx_backs_off_exponentially_then_succeeds(upstream: UpstreamFake) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    http = HttpClient(health=HealthRegistry(), backoff_base=1.0, retries=3, sleep=record)
    try:
        upstream.fail("hn", Fault.reply(500), Fault.reply(503), Fault.reply(502))
        posts = await hn(upstream, http).poll()
    finally:
        await http.close()
    assert len(posts) == 2
    assert len(upstream.calls("hn")) == 4
    # jittered exponential: attempt n waits between 2**n / 2 and 2**n seconds
    assert len(waits) == 3
    for n, wait in enumerate(waits):
        assert 2**n / 2 <= wait <= 2**n


async def test_5xx_gives_up_after_retries(upstream: UpstreamFake, http: HttpClient) -> None:
    upstream.down("hn", 500)
    with pytest.raises(UpstreamError) as info:
        await hn(upstream, http).poll()
    assert info.value.status == 500
    assert len(upstream.calls("hn")) == 4  # first try + 3 retries
    assert "HTTP 500" in (http.health.get("hackernews").last_error or "")


async def test_breaker_opens_on_a_failing_source_and_closes_after_recovery(
    upstream: UpstreamFake,
) -> None:
    http = HttpClient(health=HealthRegistry(), retries=0, breaker_threshold=3, breaker_reset=0.3)
    source = hn(upstream, http, "hackernews:breaker")
    try:
        upstream.down("hn", 502)
        for _ in range(3):
            with pytest.raises(UpstreamError):
                await source.poll()
        assert http.health.get("hackernews:breaker").state == "open"
        assert BREAKER_OPEN.labels("hackernews:breaker")._value.get() == 1
        sent = len(upstream.calls("hn"))
        with pytest.raises(BreakerOpenError):
            await source.poll()
        assert len(upstream.calls("hn")) == sent  # an open breaker sends nothing
        upstream.up("hn")
        await asyncio.sleep(0.35)
        assert http.breaker("hackernews:breaker").state == "half-open"
        posts = await source.poll()
        assert len(posts) == 2
        assert http.breaker("hackernews:breaker").state == "closed"
        health = http.health.get("hackernews:breaker")
        assert health.state == "ok" and health.consecutive_failures == 0
        assert BREAKER_OPEN.labels("hackernews:breaker")._value.get() == 0
    finally:
        await http.close()


async def test_half_open_probe_failure_reopens(upstream: UpstreamFake) -> None:
    http = HttpClient(health=HealthRegistry(), retries=0, breaker_threshold=2, breaker_reset=0.2)
    source = hn(upstream, http, "hackernews:reopen")
    try:
        upstream.down("hn", 500)
        for _ in range(2):
            with pytest.raises(UpstreamError):
                await source.poll()
        await asyncio.sleep(0.25)
        with pytest.raises(UpstreamError):
            await source.poll()  # the single probe fails ...
        assert http.breaker("hackernews:reopen").state == "open"  # ... and it opens again
    finally:
        await http.close()


async def test_malformed_truncated_and_giant_bodies_are_skipped_with_a_count(
    upstream: UpstreamFake,
) -> None:
    http = HttpClient(health=HealthRegistry(), max_body=1024 * 1024)
    try:
        source = hn(upstream, http, "hackernews:bad")
        upstream.fail("hn", Fault.malformed())
        with pytest.raises(PayloadError):
            await source.poll()
        assert len(await source.poll()) == 2  # the next poll is fine
        g = gecko(upstream, http, "geckoterminal:bad")
        upstream.fail("gecko", Fault.truncated())
        with pytest.raises(PayloadError):
            await g.poll()
        assert len(await g.poll()) == 2
        dex = DexScreenerSource(
            "dexscreener:bad",
            http=http,
            cursors=MemoryCursorStore(),
            base_url=f"{upstream.base}/dex",
        )
        upstream.fail("dex:profiles", Fault.giant(2 * 1024 * 1024))
        launches = await dex.poll()  # profiles skipped, boosts still read
        assert [launch.symbol for launch in launches] == ["GFK"]
        # the bad body, plus the one broken item each recorded payload carries
        assert http.health.get("hackernews:bad").skipped == 2
        assert http.health.get("geckoterminal:bad").skipped == 2
        assert PAYLOADS_SKIPPED.labels("hackernews:bad", "bad_json")._value.get() == 1
        assert PAYLOADS_SKIPPED.labels("geckoterminal:bad", "bad_json")._value.get() == 1
        assert PAYLOADS_SKIPPED.labels("dexscreener:bad", "too_large")._value.get() == 1
        # a bad payload is not an outage: breakers stay closed
        assert http.breaker("hackernews:bad").state == "closed"
    finally:
        await http.close()


async def test_timeouts_are_retried(upstream: UpstreamFake) -> None:
    http = HttpClient(health=HealthRegistry(), timeout=0.3, backoff_base=0.01, retries=1)
    try:
        upstream.fail("hn", Fault.hang(1.0))
        posts = await hn(upstream, http, "hackernews:slow").poll()
        assert len(posts) == 2
        assert len(upstream.calls("hn")) == 2
    finally:
        await http.close()


async def test_rate_limiter_holds_callers_to_the_limit() -> None:
    limiter = RateLimiter(RateLimit(2, 0.3))
    started = time.monotonic()
    for _ in range(3):
        await limiter.acquire("test", asyncio.sleep)
    assert time.monotonic() - started >= 0.29
    limiter.pause(0.2)
    assert limiter.delay() > 0.1


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"X-Ratelimit-Reset": "42"}) == 42.0  # reddit: seconds
    assert retry_after_seconds({"x-rate-limit-reset": "1000000100"}, now=1000000000.0) == 100.0
    assert retry_after_seconds({}) is None


def test_safe_error_strips_query_strings_and_secrets() -> None:
    text = safe_error(
        "GET https://api.x.com/2/tweets?query=a&token=abc123 failed; Authorization: Bearer abc123",
        ("abc123",),
    )
    assert "abc123" not in text and "query=" not in text


async def test_connectors_use_their_documented_rate_keys(upstream: UpstreamFake) -> None:
    from bot.sources.http import DOCUMENTED_LIMITS

    assert DOCUMENTED_LIMITS["dexscreener:profiles"] == RateLimit(60, 60.0)
    assert DOCUMENTED_LIMITS["dexscreener:search"] == RateLimit(300, 60.0)
    assert DOCUMENTED_LIMITS["geckoterminal"] == RateLimit(30, 60.0)
    assert DOCUMENTED_LIMITS["reddit"] == RateLimit(10, 60.0)
    # the profiles and boosts endpoints share one 60/min budget: squeeze it to 1 per 0.3 s
    http = HttpClient(health=HealthRegistry(), limits={"dexscreener:profiles": RateLimit(1, 0.3)})
    try:
        dex = DexScreenerSource(
            "dexscreener:limited",
            http=http,
            cursors=MemoryCursorStore(),
            base_url=f"{upstream.base}/dex",
        )
        await dex.poll()
    finally:
        await http.close()
    profiles, boosts = upstream.calls("dex:profiles")[0], upstream.calls("dex:boosts")[0]
    assert boosts.at - profiles.at >= 0.28
    # /tokens/v1 is not in the profiles budget: it follows without waiting
    assert upstream.calls("dex:tokens")[0].at - boosts.at < 0.25
