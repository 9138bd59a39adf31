"""Properties of every HTTP post source: whatever an upstream sends, nothing crashes.

Each parser either returns posts that are safe to score, store and show, or refuses the item
with PostFormatError (counted as skipped by its source). Each source's poll either returns
posts or raises PayloadError/UpstreamError, and a refused body or item is counted.
Seeds are the real recorded payloads in tests/fixtures/upstream-real.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.posts import PostFormatError
from bot.sources.base import MemoryCursorStore, PollingSource
from bot.sources.hackernews import HackerNewsSource, parse_hit
from bot.sources.http import PayloadError, UpstreamError
from bot.sources.mastodon import MastodonSource, parse_status
from bot.sources.reddit import RedditSource, parse_child
from bot.sources.rss import RssSource, parse_feed
from bot.sources.x import XSource, parse_tweet
from tests.strategies import (
    ScriptedHttp,
    assert_sane_post,
    bodies,
    mutated,
    nested,
    real_bytes,
    real_json,
    run,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
HN = real_json("hn-algolia/search_by_date-story-2014.json")
HN_COMMENT = real_json("hn-algolia/search_by_date-comment-2014.json")
REDDIT = real_json("reddit/r-askreddit-new-2016.json")
MASTODON = real_json("mastodon/public-timeline-mastodon.social-2020.json")
MASTODON_TAG = real_json("mastodon/tag-timeline-hoot-devinstance-2026.json")
X_FULL = real_json("x-api-v2/search-recent-bitcoin-2021-04-09.json")
FEEDS = [
    "rss/coindesk-rss.xml",
    "rss/theblock-rss.xml",
    "rss/cointelegraph-rss.xml",
    "rss/simonwillison-atom-everything.xml",
]
X_USERS = {u["id"]: u["username"] for u in X_FULL["includes"]["users"]}

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIVE_MB = 5 * 1024 * 1024


def parsed_or_refused(parse: Any, item: Any, *args: Any) -> None:
    try:
        post = parse(item, *args)
    except PostFormatError:
        return
    assert_sane_post(post)


# -- the recorded payloads themselves -------------------------------------------------------


def test_every_real_recorded_item_parses() -> None:
    for hit in HN["hits"] + HN_COMMENT["hits"]:
        assert_sane_post(parse_hit(hit))
    for child in REDDIT["data"]["children"]:
        assert_sane_post(parse_child(child))
    for status in MASTODON + MASTODON_TAG:
        assert_sane_post(parse_status(status))
    for tweet in X_FULL["data"]:
        assert_sane_post(parse_tweet(tweet, X_USERS))
    for name in FEEDS:
        posts, bad = parse_feed(real_bytes(name), "https://feeds.example/rss", NOW)
        assert posts and bad == 0
        for post in posts:
            assert_sane_post(post)


# -- one item at a time ---------------------------------------------------------------------


@PROPERTY
@given(st.one_of(mutated(HN["hits"][0]), mutated(HN_COMMENT["hits"][0])))
@example({"objectID": "1", "created_at_i": 10**30, "title": "ghosts"})
@example({"objectID": "1", "created_at_i": -(10**18), "title": "ghosts"})
@example({"objectID": "1", "created_at_i": 1, "title": "x\x00y", "author": "\ud800"})
@example({"objectID": "1" * 5000, "created_at_i": 1, "title": "ghosts"})
@example({"objectID": "1", "created_at_i": 1, "story_text": "<p>" * 500_000})
def test_hacker_news_hits(hit: Any) -> None:
    parsed_or_refused(parse_hit, hit)


@PROPERTY
@given(mutated(REDDIT["data"]["children"][0]))
@example({"kind": "t3", "data": {"id": "a1", "title": "t", "created_utc": float("nan")}})
@example({"kind": "t3", "data": {"id": "a1", "title": "t", "created_utc": float("inf")}})
@example({"kind": "t3", "data": {"id": "a1", "title": "t", "created_utc": 1e20}})
@example({"kind": "t3", "data": {"id": "a1", "title": "", "created_utc": 1}})
@example({"kind": "t3", "data": {"id": "a1", "title": "t", "created_utc": 1, "author": {}}})
def test_reddit_children(child: Any) -> None:
    parsed_or_refused(parse_child, child)


@PROPERTY
@given(st.one_of(mutated(MASTODON[0]), mutated(MASTODON_TAG[0])))
@example({"id": "1", "content": "hi", "account": {"acct": "a"}, "created_at": 5})
@example({"id": "1", "content": "hi", "account": {"acct": "a"}, "created_at": "99999-01-01"})
@example(
    {
        "id": "1",
        "content": "hi",
        "account": {"acct": "a"},
        "created_at": "2026-01-01T00:00:00Z",
        "uri": {"x": 1},
    }
)
def test_mastodon_statuses(status: Any) -> None:
    parsed_or_refused(parse_status, status)


@PROPERTY
@given(mutated(X_FULL["data"][0]), st.dictionaries(st.text(max_size=5), st.text(max_size=20)))
@example(
    {"id": "1", "text": "t", "author_id": "u", "created_at": "2026-01-01T00:00:00Z"}, {"u": "\x00"}
)
@example({"id": "1" * 40, "text": "t", "author_id": "u", "created_at": "2026-01-01T00:00:00Z"}, {})
def test_x_tweets(tweet: Any, users: dict[str, str]) -> None:
    parsed_or_refused(parse_tweet, tweet, {**X_USERS, **users})


# -- whole polls through the real HTTP layer ------------------------------------------------


def polled(source: PollingSource[Any]) -> None:
    """One poll: posts that pass the checks, or a PayloadError/UpstreamError that was counted."""
    health = source.health.get(source.name)
    try:
        posts = run(source.poll())
    except PayloadError:
        assert health.skipped >= 1  # the body was refused and counted
        return
    except UpstreamError:
        assert health.last_error  # a failure is recorded where /status shows it
        return
    for post in posts:
        assert_sane_post(post)


def hn_source(body: bytes) -> HackerNewsSource:
    http = ScriptedHttp(lambda _m, _u: body)
    return HackerNewsSource(
        "hackernews", http=http, cursors=MemoryCursorStore(), base_url="https://hn.test"
    )


@PROPERTY
@given(bodies(HN))
@example(nested(100_000))
@example(b'{"hits": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}")
@example(b'{"hits": NaN, "nbPages": Infinity}')
@example(b'{"hits": [], "nbPages": 1e999}')
@example(b'{"hits": [{"objectID": "1", "created_at_i": 1, "title": "' + b"x" * FIVE_MB + b'"}]}')
def test_hacker_news_polls(body: bytes) -> None:
    polled(hn_source(body))


@PROPERTY
@given(bodies(REDDIT))
@example(nested(100_000))
@example(
    b'{"data": {"children": [{"kind": "t3", "data": {"id": "a", "title": "t", '
    b'"created_utc": NaN}}]}}'
)
def test_reddit_polls(body: bytes) -> None:
    source = RedditSource(
        "reddit:x",
        http=ScriptedHttp(lambda _m, _u: body),
        cursors=MemoryCursorStore(),
        base_url="https://reddit.test",
        subreddit="x",
        user_agent="test",
    )
    polled(source)


@PROPERTY
@given(bodies(MASTODON))
@example(nested(100_000))
@example(b'[{"id": "' + b"9" * 100_000 + b'", "content": "x", "account": {"acct": "a"}}]')
def test_mastodon_polls(body: bytes) -> None:
    source = MastodonSource(
        "mastodon:m.test",
        http=ScriptedHttp(lambda _m, _u: body),
        cursors=MemoryCursorStore(),
        target="m.test",
    )
    polled(source)
    polled(source)  # a second poll starts from whatever the first one kept
    assert source.min_id is None or len(source.min_id) <= 40


@PROPERTY
@given(bodies(X_FULL))
@example(nested(100_000))
@example(b'{"data": [], "includes": {"users": 5}}')
@example(b'{"data": [], "includes": {"users": {"a": 1}}, "meta": {"newest_id": ["1"]}}')
def test_x_polls(body: bytes) -> None:
    source = XSource(
        "x",
        http=ScriptedHttp(lambda _m, _u: body),
        cursors=MemoryCursorStore(),
        base_url="https://x.test",
        bearer_token="t" * 20,
        leaders=list,
        phrases=lambda: ["ghosts"],
    )
    polled(source)
    assert all(value.isdigit() and len(value) <= 30 for value in source.since_ids.values())


@st.composite
def feed_bodies(draw: st.DrawFn) -> bytes:
    """A real feed with bytes replaced, cut, or stuffed with markup."""
    body = real_bytes(draw(st.sampled_from(FEEDS)))
    kind = draw(st.sampled_from(["replace", "cut", "insert", "noise"]))
    at = draw(st.integers(min_value=0, max_value=len(body) - 1))
    if kind == "cut":
        return body[:at]
    if kind == "noise":
        return draw(st.binary(max_size=300))
    chunk = draw(
        st.one_of(
            st.binary(min_size=1, max_size=20),
            st.sampled_from(
                [b"\xff\xfe", b"\x00", b"&#0;", b"&#xD800;", b"<![CDATA[", b"<title>", b"]]>"]
            ),
        )
    )
    if kind == "replace":
        return body[:at] + chunk + body[at + len(chunk) :]
    return body[:at] + chunk + body[at:]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed_bodies())
@example(b"")
@example(b"<html><body>login</body></html>")
@example(
    b"<rss version='2.0'><channel><item><title>"
    + b"<b>" * 20_000
    + b"x</title></item></channel></rss>"
)
@example(
    b"<rss version='2.0'><channel><item><pubDate>Sat, 01 Jan 99999 00:00:00 GMT</pubDate>"
    b"<title>x</title></item></channel></rss>"
)
@example(
    b"<rss version='2.0'><channel><item><guid>"
    + b"g" * 100_000
    + b"</guid><title>x</title></item></channel></rss>"
)
def test_rss_and_atom_feeds(body: bytes) -> None:
    try:
        posts, bad = parse_feed(body, "https://feeds.example/rss", NOW)
    except PostFormatError:
        return
    assert bad >= 0
    for post in posts:
        assert_sane_post(post)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed_bodies())
@example(b"<html><body>not a feed</body></html>")
def test_rss_polls_count_what_they_refuse(body: bytes) -> None:
    source = RssSource(
        "rss:https://feeds.example",
        http=ScriptedHttp(lambda _m, _u: body),
        cursors=MemoryCursorStore(),
        feed_url="https://feeds.example/rss",
    )
    try:
        parse_feed(body, "https://feeds.example/rss", NOW)
        refused = False
    except PostFormatError:
        refused = True
    polled(source)
    if refused:
        assert source.health.get(source.name).skipped >= 1


def test_a_refused_page_is_counted_under_its_reason() -> None:
    from bot.metrics import PAYLOADS_SKIPPED

    source = hn_source(nested(100_000))
    with pytest.raises(PayloadError):
        run(source.poll())
    assert PAYLOADS_SKIPPED.labels("hackernews", "bad_json")._value.get() >= 1


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([float("nan"), float("inf"), -5, 1e300, "3600", None, [1]]))
def test_reddit_token_lifetime_is_always_finite_and_bounded(expires: Any) -> None:
    token = json.dumps({"access_token": "app-token", "expires_in": expires}).encode()
    listing = json.dumps(REDDIT).encode()
    source = RedditSource(
        "reddit:x",
        http=ScriptedHttp(lambda method, _u: token if method == "POST" else listing),
        cursors=MemoryCursorStore(),
        base_url="https://reddit.test",
        subreddit="x",
        user_agent="test",
        client_id="id",
        client_secret="secret",
    )
    before = time.monotonic()
    posts = run(source.poll())
    assert posts
    # NaN or inf would never renew the token, a negative lifetime would renew it every poll
    assert before + 60 <= source._token_expires <= before + 86400
