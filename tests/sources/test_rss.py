"""RSS entries dated in the future: clamped to the fetch time, and never the feed's high-water
mark (before, one such entry made the feed skip every later entry, even after a restart)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.metrics import POSTS_SKEWED
from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.sources.rss import RssSource
from tests.fakes.upstream import UpstreamFake, upstream

__all__ = ["upstream"]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.01, retries=2)
    yield client
    await client.close()


def _feed(*items: tuple[str, datetime]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{title}</guid>"
        f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        for title, when in items
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{body}</channel></rss>".encode()


async def test_a_future_entry_does_not_hide_later_entries(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    future = datetime(2099, 1, 1, tzinfo=UTC)
    upstream.rss = _feed(("old", now - timedelta(hours=2)), ("timetraveller", future))
    cursors = MemoryCursorStore()
    url = f"{upstream.base}/rss/feed.xml"
    clamped = POSTS_SKEWED.labels("rss", "clamped")
    before = clamped._value.get()
    source = RssSource("rss:f", http=http, cursors=cursors, feed_url=url)
    posts = {p.text: p for p in await source.poll()}
    assert set(posts) == {"old", "timetraveller"}
    assert now - timedelta(seconds=5) <= posts["timetraveller"].created_at < future
    assert posts["timetraveller"].created_at <= datetime.now(UTC)
    assert clamped._value.get() == before + 1
    saved = json.loads(cursors.values["rss:f"])["since"]
    assert datetime.fromisoformat(saved) <= datetime.now(UTC)
    # the feed moves on: an entry newer than "old" must be read, now and after a restart
    upstream.rss_etag = '"v2"'
    upstream.rss = _feed(("fresh", now + timedelta(seconds=30)), ("timetraveller", future))
    assert [p.text for p in await source.poll()] == ["fresh"]
    upstream.rss_etag = '"v3"'
    upstream.rss = _feed(("fresher", now + timedelta(seconds=60)))
    restarted = RssSource("rss:f", http=http, cursors=cursors, feed_url=url)
    assert [p.text for p in await restarted.poll()] == ["fresher"]


async def test_a_poisoned_cursor_from_an_older_version_is_pulled_back(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    cursors = MemoryCursorStore()
    await cursors.set(
        "rss:f", json.dumps({"etag": None, "modified": None, "since": "2099-01-01T00:00:00+00:00"})
    )
    upstream.rss = _feed(("news", datetime.now(UTC) - timedelta(seconds=1)))
    source = RssSource(
        "rss:f", http=http, cursors=cursors, feed_url=f"{upstream.base}/rss/feed.xml"
    )
    assert [p.text for p in await source.poll()] == []  # older than the restart: already read
    upstream.rss_etag = '"v2"'
    upstream.rss = _feed(("later", datetime.now(UTC) + timedelta(seconds=2)))
    assert [p.text for p in await source.poll()] == ["later"]
