"""Configured sources whose URLs carry secrets, and the health they leave after failing.

Used by every test that checks that a source's full URL reaches no user, log or metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.engine import NarrativeEngine
from bot.pipeline import ScoringPipeline
from bot.scheduler import ScanScheduler
from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from tests.fakes.upstream import Fault, UpstreamFake

# Each of these is part of a configured URL and must never be shown.
SECRETS = ("hunter2", "feeduser", "tok-9f8e7d", "s3cr3t-path", "key-5a4b3c", "pw-77aa")


def secret_feeds(upstream: UpstreamFake) -> str:
    """GHOSTWATCH_SOURCES with basic auth, ?token=, a secret path and an unusable URL."""
    host = upstream.base.removeprefix("http://")
    return ",".join(
        [
            f"rss:http://feeduser:hunter2@{host}/rss/feed.xml?token=tok-9f8e7d",
            f"rss:http://{host}/s3cr3t-path/feed.xml",  # the fake answers 404
            f"rss:http://{host}/rss/atom.xml?key=key-5a4b3c",
            # port out of range: aiohttp's InvalidURL quotes the whole URL in its message
            "rss:http://feeduser:pw-77aa@127.0.0.1:99999/s3cr3t-path/feed?token=tok-9f8e7d",
        ]
    )


@dataclass
class SecretRun:
    scheduler: ScanScheduler
    http: HttpClient
    cursors: MemoryCursorStore

    @property
    def health(self) -> HealthRegistry:
        return self.http.health


async def run_secret_feeds(upstream: UpstreamFake) -> SecretRun:
    """Poll each secret feed once while it works, then once while the feeds fail."""
    settings = Settings(**upstream.settings(sources=secret_feeds(upstream)))
    http = HttpClient(health=HealthRegistry(), backoff_base=0.01, retries=1)
    cursors = MemoryCursorStore()
    scheduler = ScanScheduler(
        settings, ScoringPipeline(NarrativeEngine()), http=http, cursors=cursors
    )
    polling = scheduler.sources.polling
    for source in polling:
        await scheduler.poll_source(source)
    upstream.down("rss", 500)
    upstream.fail("atom", Fault("status", 200, {}, b"<html><body>not a feed</body></html>"))
    for source in polling:
        await scheduler.poll_source(source)
    upstream.up("rss")
    return SecretRun(scheduler, http, cursors)
