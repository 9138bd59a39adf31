"""Settings from the environment (prefix GHOSTWATCH_) and an optional .env file.

Settings are built by `load_settings()` at start-up, never at import time, so tests and
tools can construct them with explicit values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.leaders import LeaderFormatError, entry_ids
from bot.sources.registry import parse_sources
from bot.sources.spec import DEFAULT_SOURCES, SourceSpec, SourceSpecError, parse_leader_dids

ENV_PREFIX = "GHOSTWATCH_"


class ConfigError(Exception):
    """Invalid configuration; the message is one line naming the variable, never a secret."""


# Query parameters of a database URL whose values are secrets (?password=, ?sslpassword=, ...).
_SECRET_PARAM = re.compile(r"(?i)pass|pwd|secret|token|key")


def _split_database_url(url: str) -> tuple[str, str, str, str, str]:
    """scheme, user, password, rest (host/path) and query of a database URL.

    Parsed by hand: a password may hold a raw "/" or "@", which urlsplit would read as a path.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", "", "", url, ""
    rest, _, query = rest.partition("?")
    userinfo, at, hostpath = rest.rpartition("@")
    if not at:
        return scheme, "", "", rest, query
    user, _, password = userinfo.partition(":")
    return scheme, user, password, hostpath, query


def database_url_secrets(url: str) -> list[str]:
    """The password and secret query values of a database URL, to mask wherever they appear."""
    _, _, password, _, query = _split_database_url(url)
    found = [password] if password else []
    for pair in query.split("&"):
        key, sep, value = pair.partition("=")
        if sep and value and _SECRET_PARAM.search(key):
            found.append(value)
    return found


def redact_database_url(url: str) -> str:
    """The database URL for messages: the password and secret query values become ***."""
    scheme, user, password, hostpath, query = _split_database_url(url)
    if not scheme:
        return url
    shown = f"{scheme}://"
    if user or password:
        shown += f"{user}:***@" if password else f"{user}@"
    shown += hostpath
    if query:
        pairs = []
        for pair in query.split("&"):
            key, sep, _ = pair.partition("=")
            pairs.append(f"{key}=***" if sep and _SECRET_PARAM.search(key) else pair)
        shown += "?" + "&".join(pairs)
    return shown


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"expected a {'/'.join(schemes)} URL")
    return value.rstrip("/")


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _check_read_ids(values: list[str], pattern: str, what: str) -> list[str]:
    """A list of ids, or just "all"; used by the settings that make chats a post source."""
    lowered = [v.lower() for v in values]
    if "all" in lowered:
        if len(values) > 1:
            raise ValueError(f"expected either all or comma-separated {what}, not both")
        return ["all"]
    for value in values:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"expected all or comma-separated {what}; got {value[:30]!r}")
    return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        hide_input_in_errors=True,
    )

    # storage
    data_dir: Path = Path("data")
    database_url: str = Field(default="", repr=False)  # empty: SQLite file in data_dir
    auto_migrate: bool = True

    # front ends
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    discord_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    discord_shards: int | None = Field(default=None, ge=1)
    discord_read_channels: Annotated[list[str], NoDecode] = []  # channel ids or "all"
    telegram_read_chats: Annotated[list[str], NoDecode] = []  # chat ids or "all"

    # intake
    sources: str = DEFAULT_SOURCES
    leaders: Annotated[list[str], NoDecode] = []
    leaders_file: Path | None = None
    # "telegram:USER_ID" / "discord:USER_ID": who may change the global leader set from a chat
    operators: Annotated[list[str], NoDecode] = []
    x_bearer_token: SecretStr | None = None
    reddit_client_id: str | None = None
    reddit_client_secret: SecretStr | None = None
    reddit_user_agent: str = "python:ghostwatch:0.1 (narrative monitor)"
    mastodon_token: SecretStr | None = None
    bluesky_leader_dids: Annotated[list[str], NoDecode] = []

    # upstream base URLs (configurable so tests and proxies can redirect them)
    jetstream_url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    hackernews_api_url: str = "https://hn.algolia.com/api/v1"
    reddit_api_url: str = "https://www.reddit.com"
    x_api_url: str = "https://api.x.com/2"
    dexscreener_api_url: str = "https://api.dexscreener.com"
    geckoterminal_api_url: str = "https://api.geckoterminal.com/api/v2"
    pumpportal_ws_url: str = "wss://pumpportal.fun/api/data"

    # engine and scheduling
    alert_threshold: float = Field(default=60.0, ge=0, le=100)
    score_interval: float = Field(default=30.0, gt=0, description="seconds between scoring ticks")
    poll_interval: float = Field(default=60.0, gt=0, description="default seconds between polls")
    checkpoint_interval: float = Field(default=300.0, gt=0)

    # operation
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # running unattended: restarts, several processes (bot/app.py, bot/ops/)
    engine_warmup_minutes: int | None = Field(default=None, ge=0)  # None: engine default (120)
    checkpoint_keep: int = Field(default=3, ge=1)
    leader_retry_interval: float = Field(default=5.0, gt=0)
    startup_retries: int = Field(default=5, ge=0)
    startup_backoff: float = Field(default=1.0, gt=0)
    shutdown_timeout: float = Field(default=10.0, gt=0)
    aggregate_interval: float = Field(default=5.0, gt=0)
    instance_name: str = ""  # empty: hostname-pid; names this process's aggregate rows

    # sources and the shared HTTP layer (bot/sources/, bot/scheduler.py)
    http_timeout: float = Field(default=20.0, gt=0, description="seconds per upstream request")
    score_history_days: int = Field(default=14, ge=1, description="days of score history kept")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_url", "discord_api_url", "hackernews_api_url", "reddit_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_url(value, ("http", "https"))

    @field_validator("x_api_url", "dexscreener_api_url", "geckoterminal_api_url")
    @classmethod
    def _http_url_more(cls, value: str) -> str:
        return _check_url(value, ("http", "https"))

    @field_validator("jetstream_url", "pumpportal_ws_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        return _check_url(value, ("ws", "wss"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("ws", "wss")) if value else None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
            raise ValueError("expected sqlite://PATH or postgres://USER@HOST:PORT/DB")
        return value

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: str) -> str:
        try:
            parse_sources(value)
        except SourceSpecError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator(
        "leaders",
        "operators",
        "discord_read_channels",
        "telegram_read_chats",
        "bluesky_leader_dids",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("leaders")
    @classmethod
    def _leader_entries(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                entry_ids(entry)
            except LeaderFormatError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("operators")
    @classmethod
    def _operators(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not re.fullmatch(r"(telegram:\d{1,16}|discord:\d{15,21})", entry.strip()):
                raise ValueError(
                    "expected comma-separated telegram:USER_ID or discord:USER_ID entries; "
                    f"got {entry[:40]!r}"
                )
        return [entry.strip() for entry in value]

    @property
    def operator_ids(self) -> frozenset[str]:
        """`platform:user id` of each operator (bot.service.types.Caller.operator_key)."""
        return frozenset(self.operators)

    @field_validator("discord_read_channels")
    @classmethod
    def _read_channels(cls, value: list[str]) -> list[str]:
        return _check_read_ids(value, r"\d{15,21}", "channel ids (snowflakes)")

    @field_validator("telegram_read_chats")
    @classmethod
    def _read_chats(cls, value: list[str]) -> list[str]:
        return _check_read_ids(value, r"-?\d{1,16}", "chat ids such as -1001234567890")

    @field_validator("bluesky_leader_dids")
    @classmethod
    def _leader_dids(cls, value: list[str]) -> list[str]:
        try:
            parse_leader_dids(value)
        except SourceSpecError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("leaders_file")
    @classmethod
    def _leaders_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("expected a readable file with one handle per line")
        return value

    @property
    def source_specs(self) -> list[SourceSpec]:
        return parse_sources(self.sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'ghostwatch.sqlite3').as_posix()}"


def _describe(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ()
    name = ENV_PREFIX + str(loc[0]).upper() if loc else "configuration"
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return f"{name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment; raises ConfigError with one line on bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        raise ConfigError(f"invalid configuration: {_describe(dict(first))}") from None
    except (ValueError, OSError) as exc:  # e.g. an unreadable .env file
        raise ConfigError(f"invalid configuration: {exc}") from None
