"""The one shared aiohttp session: timeouts, retries, 429 handling, rate limits, breakers."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.metrics import RATE_LIMIT_WAITS
from bot.sources.health import HealthRegistry, safe_error

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "ghostwatch/0.1 (+https://github.com/ghostwatch; narrative monitor)"
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_RETRY_AFTER = 300.0  # a longer Retry-After is treated as a failure, not waited out


@dataclass(frozen=True, slots=True)
class RateLimit:
    calls: int
    per_seconds: float


# Documented upstream limits (requests per window), keyed by the rate key connectors pass.
DOCUMENTED_LIMITS: dict[str, RateLimit] = {
    "dexscreener:profiles": RateLimit(60, 60.0),
    "dexscreener:search": RateLimit(300, 60.0),
    "geckoterminal": RateLimit(30, 60.0),
    "reddit": RateLimit(10, 60.0),
    "reddit:oauth": RateLimit(100, 60.0),
    "hackernews": RateLimit(10_000, 3600.0),
    "x:search": RateLimit(450, 900.0),
}


class UpstreamError(Exception):
    """A request that failed after retries; the message is safe to show."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BreakerOpenError(UpstreamError):
    """The source's circuit breaker is open: the request was not sent."""


class PayloadError(ValueError):
    """A response body that cannot be used (bad JSON, too large, wrong shape)."""

    def __init__(self, message: str, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


class RateLimiter:
    """Sliding-window limiter: at most `calls` starts per `per_seconds`, plus server pauses."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every caller until `seconds` from now (a 429 or an exhausted quota)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def delay(self) -> float:
        now = self.clock()
        while self._starts and now - self._starts[0] >= self.limit.per_seconds:
            self._starts.popleft()
        wait = max(0.0, self._paused_until - now)
        if len(self._starts) >= self.limit.calls:
            wait = max(wait, self._starts[0] + self.limit.per_seconds - now)
        return wait

    async def acquire(self, key: str, sleep: Callable[[float], Awaitable[None]]) -> float:
        """Wait for a slot; returns how long it waited."""
        waited = 0.0
        async with self._lock:
            while (wait := self.delay()) > 0:
                RATE_LIMIT_WAITS.labels(key).inc()
                waited += wait
                await sleep(wait)
            self._starts.append(self.clock())
        return waited


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; lets one probe through after `reset`."""

    def __init__(
        self, threshold: int = 5, reset: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.reset = reset
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def seconds_left(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset - (self.clock() - self.opened_at))

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> bool:
        """Record a failure; returns True when this failure opened (or re-opened) the breaker."""
        self.failures += 1
        if self.state == "half-open" or self.failures >= self.threshold:
            self.opened_at = self.clock()
            return True
        return False


@dataclass(slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: "[[[[..." nested deeper than the decoder's stack
            raise PayloadError("response is not valid JSON", "bad_json") from exc


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After or the rate-limit reset headers, if any."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
    for name in ("X-Ratelimit-Reset", "x-rate-limit-reset"):
        value = headers.get(name)
        if not value:
            continue
        try:
            reset = float(value)
        except ValueError:
            continue
        # Reddit sends seconds until reset; X sends the epoch second of the reset.
        now = time.time() if now is None else now
        return max(0.0, reset - now) if reset > 1e9 else reset
    return None


def quota_exhausted(headers: Mapping[str, str]) -> bool:
    for name in ("X-Ratelimit-Remaining", "x-rate-limit-remaining"):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) < 1.0
            except ValueError:
                return False
    return False


def _host(url: str) -> str:
    """host[:port] of a URL, never its user, password, path or query."""
    return urlsplit(url).netloc.rpartition("@")[2]


class HttpClient:
    """Shared HTTP layer; one per process. Every request names its source (for breakers)."""

    def __init__(
        self,
        *,
        health: HealthRegistry | None = None,
        timeout: float = 20.0,
        retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        breaker_threshold: int = 5,
        breaker_reset: float = 120.0,
        user_agent: str = DEFAULT_USER_AGENT,
        limits: Mapping[str, RateLimit] | None = None,
        max_body: int = MAX_BODY_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.health = health or HealthRegistry()
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.breaker_threshold = breaker_threshold
        self.breaker_reset = breaker_reset
        self.user_agent = user_agent
        self.limits = dict(DOCUMENTED_LIMITS if limits is None else limits)
        self.max_body = max_body
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._limiters: dict[str, RateLimiter] = {}
        self._breakers: dict[str, CircuitBreaker] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=10.0),
                headers={"User-Agent": self.user_agent},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def breaker(self, source: str) -> CircuitBreaker:
        breaker = self._breakers.get(source)
        if breaker is None:
            breaker = self._breakers[source] = CircuitBreaker(
                self.breaker_threshold, self.breaker_reset
            )
        return breaker

    def limiter(self, key: str) -> RateLimiter | None:
        limit = self.limits.get(key)
        if limit is None:
            return None
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(limit)
        return limiter

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _opened(self, source: str, breaker: CircuitBreaker) -> None:
        until = datetime.now(UTC) + timedelta(seconds=breaker.seconds_left())
        self.health.set_state(source, "open", until)
        log.warning("source %s: circuit breaker open for %.0fs", source, breaker.seconds_left())

    def failed(self, source: str, error: BaseException | str) -> None:
        """Record a source-level failure (also used by streaming sources)."""
        self.health.failure(source, error)
        breaker = self.breaker(source)
        if breaker.failure():
            self._opened(source, breaker)

    def succeeded(self, source: str) -> None:
        """The upstream answered: close the breaker and clear backoff state."""
        self.breaker(source).success()
        self.health.success(source)

    async def request(
        self,
        source: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        rate_key: str | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> Response:
        """Send with retries; raises UpstreamError, BreakerOpenError or PayloadError."""
        breaker = self.breaker(source)
        if not breaker.allow():
            raise BreakerOpenError(f"{source}: circuit breaker open", None)
        # the host only: a netloc can hold user:password@, and this key is a metric label
        key = rate_key or _host(url)
        limiter = self.limiter(key)
        attempt = 0
        limited = 0
        while True:
            if limiter is not None:
                await limiter.acquire(key, self.sleep)
            try:
                response = await self._send(method, url, params, headers, data)
            except PayloadError as exc:
                self.health.skipped(source, exc.reason)
                self.succeeded(source)  # the upstream answered; the payload was the problem
                raise
            except (aiohttp.ClientError, TimeoutError) as exc:
                error: BaseException | str = exc
                status: int | None = None
            else:
                status = response.status
                if status < 400 or status in ok_statuses:
                    self.succeeded(source)
                    if limiter is not None and quota_exhausted(response.headers):
                        wait = retry_after_seconds(response.headers)
                        if wait:
                            limiter.pause(min(wait, MAX_RETRY_AFTER))
                    return response
                # the host only: a feed's path or user:password@ can be its secret
                where = _host(url)
                if status == 429:
                    asked = retry_after_seconds(response.headers)
                    wait = self.backoff(limited) if asked is None else asked
                    if wait <= MAX_RETRY_AFTER and limited < self.retries:
                        limited += 1
                        RATE_LIMIT_WAITS.labels(key).inc()
                        log.info("%s: 429, waiting %.1fs as asked", source, wait)
                        self.health.set_state(
                            source, "backoff", datetime.now(UTC) + timedelta(seconds=wait)
                        )
                        if limiter is not None:
                            limiter.pause(wait)
                        else:
                            await self.sleep(wait)
                        continue
                    error = f"HTTP 429 from {where} (retry after {wait:.0f}s)"
                elif status < 500:
                    # Client errors are not transient: no retry.
                    message = f"HTTP {status} from {where}"
                    self.failed(source, message)
                    raise UpstreamError(message, status)
                else:
                    error = f"HTTP {status} from {where}"
            if status != 429 and attempt < self.retries:
                wait = self.backoff(attempt)
                attempt += 1
                self.health.set_state(
                    source, "backoff", datetime.now(UTC) + timedelta(seconds=wait)
                )
                await self.sleep(wait)
                continue
            message = safe_error(error)
            self.failed(source, message)
            raise UpstreamError(f"{source}: {message}", status)

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
        data: Any,
    ) -> Response:
        async with self.session.request(
            method, url, params=params, headers=headers, data=data
        ) as resp:
            length = resp.content_length
            if length is not None and length > self.max_body:
                raise PayloadError(f"response of {length} bytes is too large", "too_large")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > self.max_body:
                    raise PayloadError("response is too large", "too_large")
                chunks.append(chunk)
            return Response(resp.status, resp.headers.copy(), b"".join(chunks))

    async def get_json(
        self,
        source: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        rate_key: str | None = None,
    ) -> Any:
        """GET and decode JSON; a bad body is counted as skipped and raises PayloadError."""
        response = await self.request(
            source, "GET", url, params=params, headers=headers, rate_key=rate_key
        )
        try:
            return response.json()
        except PayloadError as exc:
            self.health.skipped(source, exc.reason)
            raise
