"""Logging set-up: text or JSON lines, secrets redacted, noisy libraries turned down."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings, database_url_secrets

# Telegram bot tokens (123456:ABC...), Discord tokens (three dot-separated base64 parts),
# bearer tokens and URL passwords must never reach a log line.
# Each pattern keeps its "pre" and "post" groups and masks what lies between.
_PATTERNS = (
    re.compile(r"(?P<pre>\b)\d{5,}:[A-Za-z0-9_-]{30,}(?P<post>\b)"),
    re.compile(
        r"(?P<pre>\b)[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}(?P<post>\b)"
    ),
    re.compile(r"(?i)(?P<pre>bearer\s+)[A-Za-z0-9%._~+/-]{16,}=*(?P<post>)"),
    re.compile(r"(?P<pre>://[^:/@\s]+:)[^@\s]+(?P<post>@)"),
)

_NOISY = ("discord", "telegram", "httpx", "apscheduler", "tortoise", "aiosqlite", "asyncpg")


class Redactor:
    """Replaces known secrets and anything shaped like a token with ***."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern in _PATTERNS:
            text = pattern.sub(r"\g<pre>***\g<post>", text)
        return text


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redactor(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        return json.dumps(payload, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str]:
    values = []
    for field in (
        "telegram_token",
        "discord_token",
        "x_bearer_token",
        "reddit_client_secret",
        "mastodon_token",
    ):
        secret = getattr(settings, field, None)
        if secret is not None:
            values.append(secret.get_secret_value())
    values += database_url_secrets(settings.resolved_database_url)
    # a source shown under a shortened name (a feed URL) may hide a token in the rest of it
    values += [spec.target or "" for spec in settings.source_specs if spec.display != spec.name]
    return values


def setup_logging(settings: Settings) -> Redactor:
    """Install one stderr handler with redaction; returns the redactor for other uses."""
    redactor = Redactor(secrets_of(settings))
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(redactor))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return redactor
