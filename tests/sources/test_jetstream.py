"""Jetstream over a local websocket replaying real captured events."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


LAST_US = max(e["time_us"] for e in EVENTS)


def add_sentinel(upstream: UpstreamFake, after_us: int = 1) -> str:
    """Append a post created after every recorded event; returns its post id.

    The server sends events in order, so once the sentinel arrives everything before it has
    arrived too: a duplicate would already be there.
    """
    event = copy.deepcopy(CREATED_POSTS[-1])
    event["time_us"] = LAST_US + after_us
    event["commit"]["rkey"] = f"sentinel{after_us}"
    upstream.jetstream_events.append(json.dumps(event))
    return f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}"


async def collect(upstream: UpstreamFake, source: JetstreamSource) -> list[Post]:
    """Run the stream (reconnecting like the supervisor) until a sentinel after every recorded
    event arrives; returns the posts before it."""
    sentinel = add_sentinel(upstream)
    got: list[Post] = []

    async def loop() -> None:
        while True:
            with contextlib.suppress(ConnectionError):
                await source.run(got.extend)

    task = asyncio.create_task(loop())
    try:
        await eventually(lambda: any(p.id == sentinel for p in got))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert got[-1].id == sentinel
    return got[:-1]


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
    posts = await collect(upstream, source)
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
    posts = await collect(upstream, source)
    assert [p.id for p in posts] == expected_ids()
    assert len(upstream.jetstream_cursors) == 3
    assert upstream.jetstream_cursors[0] is None
    first_max = max(e["time_us"] for e in EVENTS[:40])
    assert upstream.jetstream_cursors[1] == str(first_max - REWIND_US)
    state = json.loads(cursors.values["bluesky"])
    assert state["time_us"] == LAST_US + 1  # collect's sentinel, the newest event


async def test_restart_resumes_from_stored_cursor_without_duplicates(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    cursors = MemoryCursorStore()
    url = f"{upstream.ws_base}/jetstream/subscribe"
    first = JetstreamSource("bluesky", http=http, cursors=cursors, url=url)
    posts = await collect(upstream, first)
    assert len(posts) == 17
    # a new process: same cursor store, fresh memory; the server re-sends the rewind window
    second = JetstreamSource("bluesky", http=http, cursors=cursors, url=url)
    again: list[Post] = []
    newer = add_sentinel(upstream, after_us=2)  # the first post the second process has not seen
    task = asyncio.create_task(second.run(again.extend))
    await eventually(lambda: bool(again))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
        await task
    assert upstream.jetstream_cursors[-1] == str(LAST_US + 1 - REWIND_US)  # collect's sentinel
    assert [p.id for p in again] == [newer]


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
    posts = await collect(upstream, source)
    assert [p.id for p in posts] == expected_ids()
    assert len(upstream.jetstream_cursors) == 1  # one connection: nothing tore it down
    health = http.health.get("bluesky")
    assert health.skipped == 4
    from bot.metrics import PAYLOADS_SKIPPED

    assert PAYLOADS_SKIPPED.labels("bluesky", "too_large")._value.get() >= 1


def _source(http: HttpClient) -> JetstreamSource:
    return JetstreamSource("bluesky", http=http, cursors=MemoryCursorStore(), url="ws://unused")


def _post_frame(created_at: str, time_us: int, rkey: str = "r1") -> str:
    return json.dumps(
        {
            "did": "did:plc:clock",
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": {"text": "hello", "createdAt": created_at, "langs": ["en"]},
            },
        }
    )


async def test_a_post_from_the_future_takes_the_relays_time(http: HttpClient) -> None:
    from datetime import UTC, datetime

    from bot.metrics import POSTS_SKEWED

    source = _source(http)
    relay = datetime(2026, 7, 4, 14, 38, 8, tzinfo=UTC)
    time_us = int(relay.timestamp() * 1e6)
    clamped = POSTS_SKEWED.labels("bluesky", "clamped")
    before = clamped._value.get()
    future = source.handle_frame(_post_frame("2099-01-01T00:00:00Z", time_us, "a"))
    assert future is not None and future.created_at == relay
    near = source.handle_frame(_post_frame("2026-07-04T14:41:00Z", time_us, "b"))
    assert near is not None and near.created_at == datetime(2026, 7, 4, 14, 41, tzinfo=UTC)
    old = source.handle_frame(_post_frame("2013-01-01T00:00:00Z", time_us, "c"))
    assert old is not None and old.created_at.year == 2013  # the past is the engine's call
    assert clamped._value.get() == before + 1


def test_every_recorded_frame_decodes_like_the_stdlib_reading(http: HttpClient) -> None:
    source = _source(http)
    posts = [p for p in map(source.handle_frame, jetstream_lines()) if p is not None]
    assert [p.id for p in posts] == expected_ids()
    for post, event in zip(posts, CREATED_POSTS, strict=True):
        assert post == parse_event(event, {})
        langs = event["commit"]["record"].get("langs")
        assert post.lang == (langs[0] if langs else None)
    golden = [p for p in map(source.handle_frame, jetstream_lines("golden_v1.jsonl")) if p]
    assert golden and all(p.source == "bluesky" for p in golden)
    assert http.health.get("bluesky").skipped == 0


frame_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _mutations() -> st.SearchStrategy[str | bytes]:
    base = json.loads(_post_frame("2026-07-04T14:38:08Z", 1_783_175_888_085_434))

    def mutate(path: list[str], value: object) -> str:
        event = json.loads(json.dumps(base))
        node = event
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return json.dumps(event)

    paths = st.sampled_from(
        [
            ["kind"],
            ["did"],
            ["time_us"],
            ["commit"],
            ["commit", "operation"],
            ["commit", "rkey"],
            ["commit", "record"],
            ["commit", "record", "text"],
            ["commit", "record", "createdAt"],
            ["commit", "record", "langs"],
            ["commit", "record", "facets"],
        ]
    )
    return st.one_of(
        st.builds(mutate, paths, frame_values),
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"[" * 100_000,
                b'{"kind":"commit","commit":' + b"[" * 100_000,
                b'{"kind":"commit","x":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                b'{"kind":"commit","time_us":NaN}',
                b'{"kind":"commit","time_us":1e999}',
                b'{"kind":"\xff\xfe"}',
            ]
        ),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=_mutations())
def test_no_frame_crashes_the_decoder(http: HttpClient, frame: str | bytes) -> None:
    source = _source(http)
    skipped = http.health.get("bluesky").skipped if http.health.get("bluesky") else 0
    post = source.handle_frame(frame)
    if post is not None:
        assert isinstance(post.text, str) and post.created_at.tzinfo is not None
        assert post.id.startswith("at://")
    else:
        health = http.health.get("bluesky")
        counted = health.skipped - skipped if health else 0
        assert counted in (0, 1)  # skipped and counted once, or simply not a post


def _with_record(**fields: Any) -> dict[str, Any]:
    """A recorded post create, its record given more lexicon fields."""
    event = copy.deepcopy(next(e for e in CREATED_POSTS if "reply" not in e["commit"]["record"]))
    event["commit"]["record"].update(fields)
    return event


QUOTED = "at://did:plc:vfnmgxg2yscfliemmcxzyfyh/app.bsky.feed.post/3mmoodizfwc2j"
PARENT = "at://did:plc:j76trmiofvaxxpvx2vnb2vwf/app.bsky.feed.post/3mmojbrjwbs26"


def test_a_quote_or_a_reply_names_the_post_it_points_at() -> None:
    recorded = next(e for e in CREATED_POSTS if "reply" in e["commit"]["record"])
    parent = recorded["commit"]["record"]["reply"]["parent"]["uri"]
    post = parse_event(recorded, {})
    assert post is not None and post.quotes == parent
    ref = {"cid": "bafyreiaxf7tgbfydx3465sckitq6v564thxe2wwydbi7cwxbxvgssje3em", "uri": QUOTED}
    quote = {"$type": "app.bsky.embed.record", "record": ref}
    with_media = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"$type": "app.bsky.embed.record", "record": ref},
        "media": {"$type": "app.bsky.embed.images", "images": []},
    }
    reply = {
        "parent": {"cid": ref["cid"], "uri": PARENT},
        "root": {"cid": ref["cid"], "uri": PARENT},
    }
    for embed in (quote, with_media):
        for extra in ({}, {"reply": reply}):  # what it quotes is what it speaks of
            post = parse_event(_with_record(embed=embed, **extra), {})
            assert post is not None and post.quotes == QUOTED
    post = parse_event(_with_record(reply=reply), {})
    assert post is not None and post.quotes == PARENT


def test_other_embeds_and_malformed_references_point_at_nothing() -> None:
    images = {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": {}}]}
    feed = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": "at://did:plc:a/app.bsky.feed.generator/hot"},
    }
    for fields in (
        {"embed": images},
        {"embed": feed},  # a feed, not a post
        {"embed": {"record": 5}},
        {"embed": "junk"},
        {"reply": {"parent": "junk"}},
        {"reply": {"parent": {"uri": "https://example.com/" + "a" * 400}}},
    ):
        post = parse_event(_with_record(**fields), {})
        assert post is not None and post.quotes is None  # the post itself is kept
