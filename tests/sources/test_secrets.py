"""A source's full URL (user:password@, ?token=, a secret path) reaches no user, log or metric."""

from __future__ import annotations

import logging

import pytest

from bot.config import ConfigError, load_settings
from bot.metrics import REGISTRY
from bot.sources.health import redact_urls, safe_error
from bot.sources.registry import parse_sources
from bot.sources.spec import SourceSpecError
from tests.fakes.secret_sources import SECRETS, run_secret_feeds, secret_feeds
from tests.fakes.upstream import UpstreamFake, upstream

__all__ = ["upstream"]


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_display_names_are_scheme_and_host_with_a_hash_only_when_needed() -> None:
    specs = parse_sources(
        "rss:https://u:hunter2@feeds.example/s3cr3t-path/rss?token=tok-9f8e7d,"
        "rss:https://feeds.example/other.xml,"
        "rss:http://solo.example:8080/feed?key=key-5a4b3c,"
        "mastodon:https://feeduser:pw-77aa@mastodon.social/tags/llm,"
        "hackernews:ghosts"
    )
    shown = [spec.display for spec in specs]
    assert shown[0].startswith("rss:https://feeds.example#") and len(shown[0]) == 32
    assert shown[1].startswith("rss:https://feeds.example#") and shown[0] != shown[1]
    assert shown[2:] == [
        "rss:http://solo.example:8080",
        "mastodon:mastodon.social/tags/llm",
        "hackernews:ghosts",
    ]
    assert not leaked(" ".join(shown))
    # the full entry stays the (private) cursor key
    assert specs[0].name == "rss:https://u:hunter2@feeds.example/s3cr3t-path/rss?token=tok-9f8e7d"
    # the same configuration always gives the same names (metrics and health keep their keys)
    assert [s.display for s in parse_sources(",".join(s.name for s in specs))] == shown


def test_config_errors_do_not_echo_source_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = "rss:https://u:hunter2@feeds.example/rss?token=tok-9f8e7d"
    with pytest.raises(SourceSpecError) as listed:
        parse_sources(f"{twice},{twice}")
    assert "listed twice" in str(listed.value) and not leaked(str(listed.value))
    monkeypatch.setenv("GHOSTWATCH_SOURCES", "rss:ftp://feeduser:hunter2@h/s3cr3t-path")
    with pytest.raises(ConfigError) as bad:
        load_settings()
    assert "GHOSTWATCH_SOURCES" in str(bad.value) and not leaked(str(bad.value))


def test_safe_error_cuts_every_url_to_its_host() -> None:
    text = safe_error(
        "InvalidURL: http://feeduser:hunter2@feeds.example:8443/s3cr3t-path?token=tok-9f8e7d"
    )
    assert text == "InvalidURL: http://feeds.example:8443/…"
    # a raw "/" in the password must not leave part of it looking like the host
    assert not leaked(redact_urls("wss://feeduser:hun/ter2@h.example/x") + "hunter2")[1:]
    assert "hun" not in redact_urls("wss://feeduser:hun/ter2@h.example/x")
    assert redact_urls("see https://hn.algolia.com/ now") == "see https://hn.algolia.com now"


async def test_failing_feeds_leak_nothing_to_health_logs_metrics_or_errors(
    upstream: UpstreamFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = await run_secret_feeds(upstream)
    try:
        sources = run.scheduler.sources.polling
        assert len(sources) == 4
        names = [source.name for source in sources]
        assert all(name.startswith("rss:http://") and "#" in name for name in names[:3])
        assert names[3] == "rss:http://127.0.0.1:99999"
        # every path failed at least once and was recorded under the display name
        snapshot = {entry["name"]: entry for entry in run.health.snapshot()}
        assert set(snapshot) == set(names)
        errors = [snapshot[name]["last_error"] for name in names]
        assert errors[0] and errors[0].startswith("HTTP 500 from 127.0.0.1:")
        assert snapshot[names[1]]["last_error"].startswith("HTTP 404 from 127.0.0.1:")
        assert "InvalidUrl" in snapshot[names[3]]["last_error"]
        assert snapshot[names[2]]["skipped"] == 1  # the page that was not a feed
        assert not leaked(repr(run.health.snapshot()))

        # logs: messages and anything attached to the records
        text = "\n".join(
            record.getMessage() + (logging.Formatter().formatException(record.exc_info))
            if record.exc_info
            else record.getMessage()
            for record in caplog.records
        )
        assert "rss:http://127.0.0.1" in text  # the failures were logged, by display name
        assert not leaked(text), text

        # metrics: no label of any series holds a secret
        labels = [
            value
            for family in REGISTRY.collect()
            for sample in family.samples
            for value in sample.labels.values()
        ]
        assert any(value in names for value in labels)
        assert not leaked(" ".join(labels))

        # the cursor keeps the full entry: a restart resumes the same feed
        assert any("token=tok-9f8e7d" in key for key in run.cursors.values)
    finally:
        await run.http.close()


def test_feed_without_a_title_is_credited_to_its_host() -> None:
    from datetime import UTC, datetime

    from bot.sources.rss import parse_feed

    body = b"<rss version='2.0'><channel><item><title>ghosts</title></item></channel></rss>"
    url = "https://feeduser:hunter2@feeds.example/s3cr3t-path?token=tok-9f8e7d"
    [post], bad = parse_feed(body, url, datetime(2026, 1, 1, tzinfo=UTC))
    assert bad == 0 and post.author == "feeds.example"


def test_every_source_kind_shows_nothing_of_a_url_target(upstream: UpstreamFake) -> None:
    specs = parse_sources(secret_feeds(upstream))
    assert not leaked(" ".join(spec.display for spec in specs))


def test_the_log_handler_masks_database_and_feed_secrets() -> None:
    from bot.config import Settings
    from bot.logs import Redactor, secrets_of

    settings = Settings(
        database_url="postgres://gw:hunter2@db.example:5432/gw?sslpassword=key-5a4b3c",
        sources="rss:https://feeds.example/s3cr3t-path/rss?token=tok-9f8e7d",
    )
    redact = Redactor(secrets_of(settings))
    line = redact(
        "connect postgres://gw:hunter2@db.example:5432/gw?sslpassword=key-5a4b3c failed; "
        "fetch https://feeds.example/s3cr3t-path/rss?token=tok-9f8e7d failed; pw hunter2"
    )
    assert not leaked(line), line
    assert "db.example" in line
