"""Jetstream over a local websocket replaying real captured events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from bot.posts import Post
from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.sources.jetstream import (
    REWIND_US,
    JetstreamSource,
    expand_links,
    parse_event,
    parse_leader_dids,
)
from tests.fakes.upstream import UpstreamFake, eventually, jetstream_lines, upstream

__all__ = ["upstream"]

EVENTS = [json.loads(line) for line in jetstream_lines()]
CREATED_POSTS = [
    e
    for e in EVENTS
    if e["kind"] == "commit"
    and e["commit"]["operation"] == "create"
    and e["commit"]["collection"] == "app.bsky.feed.post"
]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.01)
    yield client
    await client.close()


async def collect(source: JetstreamSource, want: int, settle: float = 0.3) -> list[Post]:
    """Run the stream (reconnecting like the supervisor) until `want` posts, then a bit more."""
    got: list[Post] = []

    async def loop() -> None:
        while True:
            with contextlib.suppress(ConnectionError):
                await source.run(got.extend)

    task = asyncio.create_task(loop())
    try:
        await eventually(lambda: len(got) >= want)
        await asyncio.sleep(settle)  # duplicates would arrive now
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return got


def expected_ids() -> list[str]:
    return [f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}" for e in CREATED_POSTS]


async def test_parses_real_events_and_ignores_the_rest(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    did = CREATED_POSTS[0]["did"]
    source = JetstreamSource(
        "bluesky",
        http=http,
        cursors=MemoryCursorStore(),
        url=f"{upstream.ws_base}/jetstream/subscribe",
        leader_dids={did: "someleader"},
    )
    posts = await collect(source, len(CREATED_POSTS))
    assert len(CREATED_POSTS) == 17
    assert [p.id for p in posts] == expected_ids()
    assert posts[0].author == "someleader"  # a configured leader DID maps to its handle
    assert posts[1].author == CREATED_POSTS[1]["did"]
    rkey = CREATED_POSTS[1]["commit"]["rkey"]
    assert posts[1].url == f"https://bsky.app/profile/{CREATED_POSTS[1]['did']}/post/{rkey}"
    youtube = next(p for p in posts if "youtube" in p.text)
    assert youtube.text == "https://www.youtube.com/watch?v=V5lDo-jw8mA"  # facet link expanded
    ja = next(p for p in posts if p.lang == "ja")
    assert ja.text.startswith("待って天幕の")
    query = upstream.calls("jetstream")[0].query
    assert query == {"wantedCollections": "app.bsky.feed.post"}
    assert http.health.get("bluesky").skipped == 0


def test_facets_are_utf8_byte_offsets() -> None:
    text = "幽霊 see example.com/lo..."
    start = len("幽霊 see ".encode())
    facets = [
        {
            "index": {"byteStart": start, "byteEnd": len(text.encode())},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/long"}
            ],
        },
        {"index": {"byteStart": 0, "byteEnd": 999}, "features": []},  # out of range: ignored
    ]
    assert expand_links(text, facets) == "幽霊 see https://example.com/long"


def test_leader_did_format() -> None:
    assert parse_leader_dids(["@Karpathy=did:plc:abc", " simonw = did:web:simonwillison.net"]) == {
        "did:plc:abc": "karpathy",
        "did:web:simonwillison.net": "simonw",
    }
    with pytest.raises(ValueError):
        parse_leader_dids(["karpathy"])


def test_delete_and_odd_events_yield_nothing() -> None:
    deletes = [e for e in EVENTS if e.get("commit", {}).get("operation") == "delete"]
    assert deletes and all(parse_event(e, {}) is None for e in deletes)
    assert parse_event({"kind": "identity", "did": "x", "identity": {}}, {}) is None
    assert parse_event({"kind": "future-kind", "whatever": 1}, {}) is None


async def test_reconnect_mid_stream_loses_and_duplicates_nothing(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    upstream.jetstream_drop_after = [40, 30]  # two drops, then a healthy connection
    cursors = MemoryCursorStore()
    source = JetstreamSource(
        "bluesky", http=http, cursors=cursors, url=f"{upstream.ws_base}/jetstream/subscribe"
    )
    posts = await collect(source, len(CREATED_POSTS))
    assert [p.id for p in posts] == expected_ids()
    assert len(upstream.jetstream_cursors) == 3
    assert upstream.jetstream_cursors[0] is None
    first_max = max(e["time_us"] for e in EVENTS[:40])
    assert upstream.jetstream_cursors[1] == str(first_max - REWIND_US)
    state = json.loads(cursors.values["bluesky"])
    assert state["time_us"] == max(e["time_us"] for e in EVENTS)


async def test_restart_resumes_from_stored_cursor_without_duplicates(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    cursors = MemoryCursorStore()
    url = f"{upstream.ws_base}/jetstream/subscribe"
    first = JetstreamSource("bluesky", http=http, cursors=cursors, url=url)
    posts = await collect(first, len(CREATED_POSTS))
    assert len(posts) == 17
    # a new process: same cursor store, fresh memory; the server re-sends the rewind window
    second = JetstreamSource("bluesky", http=http, cursors=cursors, url=url)
    again: list[Post] = []
    task = asyncio.create_task(second.run(again.extend))
    await asyncio.sleep(0.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
        await task
    assert upstream.jetstream_cursors[-1] == str(max(e["time_us"] for e in EVENTS) - REWIND_US)
    assert again == []


async def test_truncated_malformed_and_giant_frames_are_skipped_and_counted(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    truncated = jetstream_lines()[3][:70]
    giant = json.dumps(
        {
            "did": "did:plc:huge",
            "time_us": EVENTS[0]["time_us"],
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "big",
                "record": {"text": "x" * 2_000_000, "createdAt": "2026-07-04T14:38:08Z"},
            },
        }
    )
    bad_post = json.dumps(
        {
            "did": "did:plc:bad",
            "time_us": EVENTS[0]["time_us"],
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "r",
                "record": {"text": 42},
            },
        }
    )
    upstream.jetstream_inject = {2: truncated, 5: giant, 9: "[1, 2", 12: bad_post}
    source = JetstreamSource(
        "bluesky",
        http=http,
        cursors=MemoryCursorStore(),
        url=f"{upstream.ws_base}/jetstream/subscribe",
    )
    posts = await collect(source, len(CREATED_POSTS))
    assert [p.id for p in posts] == expected_ids()
    assert len(upstream.jetstream_cursors) == 1  # one connection: nothing tore it down
    health = http.health.get("bluesky")
    assert health.skipped == 4
    from bot.metrics import PAYLOADS_SKIPPED

    assert PAYLOADS_SKIPPED.labels("bluesky", "too_large")._value.get() >= 1
