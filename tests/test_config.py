"""Settings: defaults, parsing, and one clear line (never a secret) for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def test_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.telegram_token is None and settings.discord_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.discord_api_url == "https://discord.com/api/v10"
    assert settings.resolved_database_url == f"sqlite://{tmp_path / 'data' / 'ghostwatch.sqlite3'}"
    assert [spec.kind for spec in settings.source_specs] == [
        "bluesky",
        "hackernews",
        "dexscreener",
        "geckoterminal",
    ]


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("GHOSTWATCH_HTTP_PORT=9099\nGHOSTWATCH_LEADERS=a,@B\n")
    monkeypatch.setenv("GHOSTWATCH_SOURCES", "hackernews,rss:https://example.com/feed")
    settings = load_settings()
    assert settings.http_port == 9099
    assert settings.leaders == ["a", "@B"]
    assert [spec.name for spec in settings.source_specs] == [
        "hackernews",
        "rss:https://example.com/feed",
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GHOSTWATCH_HTTP_PORT", "-1", "GHOSTWATCH_HTTP_PORT"),
        ("GHOSTWATCH_HTTP_PORT", "eighty", "GHOSTWATCH_HTTP_PORT"),
        ("GHOSTWATCH_SCORE_INTERVAL", "-5", "greater than 0"),
        ("GHOSTWATCH_SOURCES", "bluesky,myspace", "unknown source 'myspace'"),
        ("GHOSTWATCH_SOURCES", "rss:not-a-url", "rss target must be an http(s) URL"),
        ("GHOSTWATCH_SOURCES", "replay:/x.jsonl?speed=-2", "replay speed"),
        ("GHOSTWATCH_TELEGRAM_API_URL", "api.telegram.org", "expected a http/https URL"),
        ("GHOSTWATCH_DISCORD_GATEWAY_URL", "http://gateway", "expected a ws/wss URL"),
        ("GHOSTWATCH_DATABASE_URL", "mysql://x/y", "GHOSTWATCH_DATABASE_URL"),
        ("GHOSTWATCH_ALERT_THRESHOLD", "140", "GHOSTWATCH_ALERT_THRESHOLD"),
        ("GHOSTWATCH_LEADERS_FILE", "/no/such/file", "GHOSTWATCH_LEADERS_FILE"),
        ("GHOSTWATCH_LEADERS", "karpathy,not a handle", "network:handle"),
        ("GHOSTWATCH_OPERATORS", "12345", "telegram:USER_ID"),
        ("GHOSTWATCH_OPERATORS", "telegram:1,slack:2", "telegram:USER_ID"),
        ("GHOSTWATCH_OPERATORS", "discord:12", "discord:USER_ID"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("GHOSTWATCH_TELEGRAM_TOKEN", TOKEN)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert name in message and expected in message
    assert TOKEN not in message


def test_operators_are_platform_user_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHOSTWATCH_OPERATORS", " telegram:42 , discord:123456789012345678 ")
    settings = load_settings()
    assert settings.operator_ids == frozenset({"telegram:42", "discord:123456789012345678"})


def test_a_malformed_secret_is_reported_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # A token the type check rejects must still not be echoed back.
    monkeypatch.setenv("GHOSTWATCH_SHUTDOWN_TIMEOUT", "soon")
    monkeypatch.setenv("GHOSTWATCH_DISCORD_TOKEN", "MTIz.secret-discord-token.value")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "secret-discord-token" not in str(info.value)
    assert "soon" not in str(info.value)


def test_secrets_are_hidden_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHOSTWATCH_TELEGRAM_TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == TOKEN


def test_a_bad_database_url_error_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GHOSTWATCH_DATABASE_URL", "mysql://gw:hunter2@db/gw?password=hunter3")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "GHOSTWATCH_DATABASE_URL" in str(info.value)
    assert "hunter2" not in str(info.value) and "hunter3" not in str(info.value)
    # nor does the settings object when printed
    monkeypatch.setenv("GHOSTWATCH_DATABASE_URL", "postgres://gw:hunter2@db/gw?password=hunter3")
    assert "hunter" not in repr(load_settings())
