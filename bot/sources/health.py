"""Health registry: what every source last did, for the status command and /healthz."""

from __future__ import annotations

import re
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.metrics import BREAKER_OPEN, PAYLOADS_SKIPPED, SOURCE_ERRORS

MAX_ERROR_CHARS = 200
# scheme://anything up to a space or quote; _url_host() decides what of it may be shown
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15})://([^\s'\"<>]*)")
_HOST = re.compile(r"(?:[A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_BEARER = re.compile(r"(?i)(bearer|token|authorization)[\s:=]+\S+")


def _url_host(match: re.Match[str]) -> str:
    scheme, body = match.group(1), match.group(2)
    authority = re.split(r"[/?#\\]", body, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if not _HOST.fullmatch(host):
        host = "…"  # not a plain host[:port]: perhaps a password with a raw "/" in it
    rest = body[len(authority) :]
    return f"{scheme}://{host}" + ("/…" if rest not in ("", "/") else "")


def redact_urls(text: str) -> str:
    """Every URL in the text cut to scheme and host: paths, queries and user:password@ can
    carry tokens (a feed's ?token=, a secret path, basic auth) and error texts quote them."""
    return _URL.sub(_url_host, text)


def safe_traceback(error: BaseException) -> str:
    """Where an error was raised (file, line, code), without any exception message."""
    return "".join(traceback.format_tb(error.__traceback__)).rstrip()


def safe_error(error: BaseException | str, secrets: tuple[str, ...] = ()) -> str:
    """One line describing an error without URL paths or queries, bearer values or secrets."""
    if isinstance(error, BaseException):
        text = str(error).strip() or type(error).__name__
        if not text.startswith(type(error).__name__):
            text = f"{type(error).__name__}: {text}"
    else:
        text = error
    text = text.splitlines()[0] if text else ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = redact_urls(text)
    text = _BEARER.sub(r"\1 ***", text)
    return text[:MAX_ERROR_CHARS]


@dataclass
class SourceHealth:
    name: str
    state: str = "idle"  # idle | ok | backoff | open | blocked | finished | stopped
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    items_total: int = 0
    skipped: int = 0
    backoff_until: datetime | None = None
    _recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=4096))

    def per_minute(self, now: float | None = None) -> float:
        """Items read over the last five minutes, per minute."""
        now = time.monotonic() if now is None else now
        total = sum(n for t, n in self._recent if now - t <= 300.0)
        return round(total / 5.0, 2)

    def to_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat().replace("+00:00", "Z") if moment else None

        return {
            "name": self.name,
            "state": self.state,
            "last_success": iso(self.last_success),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "consecutive_failures": self.consecutive_failures,
            "items_total": self.items_total,
            "items_per_minute": self.per_minute(),
            "skipped": self.skipped,
            "backoff_until": iso(self.backoff_until),
        }


class HealthRegistry:
    """Per-source health; every call is cheap and synchronous (safe from any coroutine)."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        self._sources: dict[str, SourceHealth] = {}
        self._secrets = tuple(s for s in secrets if s)

    def add_secret(self, value: str | None) -> None:
        """A value that must never appear in a reported error (API keys, tokens)."""
        if value:
            self._secrets = (*self._secrets, value)

    def get(self, name: str) -> SourceHealth:
        health = self._sources.get(name)
        if health is None:
            health = self._sources[name] = SourceHealth(name)
        return health

    def success(self, name: str, items: int = 0) -> None:
        health = self.get(name)
        health.last_success = datetime.now(UTC)
        health.consecutive_failures = 0
        if health.state in ("idle", "backoff", "open", "blocked"):
            health.state = "ok"
            health.backoff_until = None
        BREAKER_OPEN.labels(name).set(0)
        if items:
            self.items(name, items)

    def items(self, name: str, count: int) -> None:
        health = self.get(name)
        health.items_total += count
        health._recent.append((time.monotonic(), count))

    def failure(self, name: str, error: BaseException | str) -> None:
        health = self.get(name)
        health.last_error = safe_error(error, self._secrets)
        health.last_error_at = datetime.now(UTC)
        health.consecutive_failures += 1
        SOURCE_ERRORS.labels(name).inc()

    def skipped(self, name: str, reason: str, count: int = 1) -> None:
        """A malformed payload or item was dropped."""
        self.get(name).skipped += count
        PAYLOADS_SKIPPED.labels(name, reason).inc(count)

    def set_state(self, name: str, state: str, until: datetime | None = None) -> None:
        health = self.get(name)
        health.state = state
        health.backoff_until = until
        BREAKER_OPEN.labels(name).set(1 if state == "open" else 0)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every source's health as plain JSON-ready dicts, sorted by name."""
        return [self._sources[name].to_json() for name in sorted(self._sources)]
