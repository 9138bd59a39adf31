"""Each connector against the local fake upstream, on recorded payloads in upstream formats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.posts import Post
from bot.sources.base import MemoryCursorStore
from bot.sources.hackernews import HackerNewsSource
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.sources.mastodon import MastodonSource, link_param, timeline_url
from bot.sources.reddit import RedditSource
from bot.sources.replay import ReplaySource
from bot.sources.rss import RssSource
from bot.sources.x import XSource, build_queries
from tests.fakes.upstream import X_TOKEN, UpstreamFake, upstream

__all__ = ["upstream"]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.01, retries=2)
    yield client
    await client.close()


async def test_hackernews_parses_hits_and_skips_broken_ones(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    cursors = MemoryCursorStore()
    source = HackerNewsSource(
        "hackernews", http=http, cursors=cursors, base_url=f"{upstream.base}/hn/api/v1"
    )
    posts = await source.poll()
    assert [p.id for p in posts] == ["hn:45522481", "hn:45522399"]
    first, ask = posts
    assert first.text == "Karpathy: we are summoning ghosts, not building animals"
    assert (first.author, first.likes, first.replies) == ("dwaxe", 388, 214)
    assert first.url == "https://news.ycombinator.com/item?id=45522481"
    assert 'Is anyone actually shipping with "vibe coding"?' in ask.text  # HTML unescaped
    assert "<p>" not in ask.text
    assert http.health.get("hackernews").skipped == 1  # the hit without created_at_i
    call = upstream.calls("hn")[0]
    assert call.query["tags"] == "story"
    assert call.query["numericFilters"].startswith("created_at_i>=")
    # the cursor moved to the newest story; a second poll repeats nothing
    assert cursors.values["hackernews"] == str(int(first.created_at.timestamp()))
    assert await source.poll() == []
    assert upstream.calls("hn")[1].query["numericFilters"] == (
        f"created_at_i>={int(first.created_at.timestamp())}"
    )


async def test_rss_and_atom_with_etag(upstream: UpstreamFake, http: HttpClient) -> None:
    cursors = MemoryCursorStore()
    rss = RssSource(
        "rss:feed", http=http, cursors=cursors, feed_url=f"{upstream.base}/rss/feed.xml"
    )
    posts = await rss.poll()
    assert len(posts) == 2
    ghost = next(p for p in posts if "Ghosts" in p.text)
    assert ghost.text.startswith("Ghosts, not animals\nKarpathy's line about summoning ghosts")
    assert ghost.author == "Mira Chen"
    assert ghost.created_at == datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
    assert ghost.url == "https://latentnotes.substack.com/p/ghosts-not-animals"
    # second poll sends the ETag and gets 304
    assert await rss.poll() == []
    assert upstream.calls("rss")[1].headers.get("If-None-Match") == upstream.rss_etag
    atom = RssSource(
        "rss:atom", http=http, cursors=cursors, feed_url=f"{upstream.base}/rss/atom.xml"
    )
    (entry,) = await atom.poll()
    assert entry.text == "Summoning ghosts at scale\nWhy the ghost metaphor fits pretraining."
    assert entry.created_at == datetime(2026, 11, 28, 8, 55, tzinfo=UTC)


async def test_reddit_listing_user_agent_and_oauth(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    ua = "python:ghostwatch:0.1 (by /u/tester)"
    source = RedditSource(
        "reddit:singularity",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/reddit",
        subreddit="singularity",
        user_agent=ua,
    )
    posts = await source.poll()
    assert [p.id for p in posts] == ["reddit:1h1abce", "reddit:1h1abcf"]  # oldest first
    assert posts[1].text.startswith('"We\'re summoning ghosts" - thoughts?\nKarpathy says')
    assert posts[1].url.endswith("/r/singularity/comments/1h1abcf/were_summoning_ghosts_thoughts/")
    assert (posts[1].likes, posts[1].replies) == (57, 23)
    assert upstream.calls("reddit")[0].headers["User-Agent"] == ua
    assert http.health.get("reddit:singularity").skipped == 1
    authed = RedditSource(
        "reddit:auth",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/reddit",
        subreddit="singularity",
        user_agent=ua,
        client_id="cid",
        client_secret="csecret",
    )
    assert len(await authed.poll()) == 2
    assert upstream.calls("reddit:token")[0].headers["Authorization"].startswith("Basic ")
    assert upstream.calls("reddit")[-1].headers["Authorization"] == "bearer reddit-app-token"


async def test_reddit_blocked_degrades(upstream: UpstreamFake, http: HttpClient) -> None:
    upstream.down("reddit", 403)
    source = RedditSource(
        "reddit:x",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/reddit",
        subreddit="x",
        user_agent="ua",
    )
    assert await source.poll() == []
    assert http.health.get("reddit:x").state == "blocked"
    assert await source.poll() == []  # paused: Reddit is not asked again
    assert len(upstream.calls("reddit")) == 1
    upstream.up("reddit")
    source._blocked_until = 0.0  # the pause is over
    assert len(await source.poll()) == 2
    assert http.health.get("reddit:x").state == "ok"


async def test_mastodon_tag_timeline_with_min_id(upstream: UpstreamFake, http: HttpClient) -> None:
    cursors = MemoryCursorStore()
    source = MastodonSource("mastodon", http=http, cursors=cursors, target=upstream.mastodon_target)
    posts = await source.poll()
    assert [p.author for p in posts] == ["kai@chaos.social", "ailab"]
    assert posts[1].text == "\"We're not building animals, we're #SummoningGhosts\"\nwhat a line"
    assert (posts[1].likes, posts[1].reposts, posts[1].replies) == (31, 9, 2)
    assert posts[0].lang == "de"
    assert cursors.values["mastodon"] == "113550000000000003"
    upstream.mastodon.insert(
        0,
        dict(
            upstream.mastodon[0],
            id="113550000000000004",
            uri="https://mastodon.social/users/ailab/statuses/4",
        ),
    )
    (newer,) = await source.poll()
    assert newer.id == "mastodon:https://mastodon.social/users/ailab/statuses/4"
    assert upstream.calls("mastodon")[-1].query["min_id"] == "113550000000000003"


def test_mastodon_targets_and_link_header() -> None:
    assert timeline_url("mastodon.social") == "https://mastodon.social/api/v1/timelines/public"
    assert (
        timeline_url("fosstodon.org/tags/llm") == "https://fosstodon.org/api/v1/timelines/tag/llm"
    )
    with pytest.raises(ValueError):
        timeline_url("mastodon.social/@someone")
    base = "https://m.s/api/v1/timelines/tag/x"
    link = f'<{base}?max_id=1>; rel="next", <{base}?min_id=9>; rel="prev"'
    assert link_param(link, "prev", "min_id") == "9"
    assert link_param(link, "next", "max_id") == "1"


async def test_x_recent_search_counts_posts_read(upstream: UpstreamFake, http: HttpClient) -> None:
    from bot.metrics import X_POSTS_READ

    before = X_POSTS_READ._value.get()
    cursors = MemoryCursorStore()
    source = XSource(
        "x",
        http=http,
        cursors=cursors,
        base_url=f"{upstream.base}/x/2",
        bearer_token=X_TOKEN,
        leaders=lambda: ["karpathy", "sama"],
        phrases=lambda: [],
    )
    posts = await source.poll()
    assert [p.author for p in posts] == ["sama", "karpathy"]
    karpathy = posts[1]
    assert karpathy.url == "https://x.com/karpathy/status/1862000000000000002"
    assert (karpathy.likes, karpathy.reposts, karpathy.replies) == (9800, 1410, 340)
    assert X_POSTS_READ._value.get() - before == 2
    query = upstream.calls("x")[0].query
    assert query["query"] == "(from:karpathy OR from:sama) -is:retweet"
    assert "referenced_tweets" in query["tweet.fields"].split(",")  # what a post quotes
    assert "since_id" not in query
    assert await source.poll() == []
    assert upstream.calls("x")[1].query["since_id"] == "1862000000000000002"
    assert json.loads(cursors.values["x"]) == {"leaders": "1862000000000000002"}


async def test_x_leaders_left_out_of_the_query_are_logged_and_counted(
    upstream: UpstreamFake, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.metrics import X_LEADERS_UNSEARCHED

    handles = [f"user{i:03d}" for i in range(60)]
    source = XSource(
        "x",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/x/2",
        bearer_token=X_TOKEN,
        leaders=lambda: handles,
        phrases=lambda: [],
    )
    with caplog.at_level("WARNING", logger="bot.sources.x"):
        await source.poll()
    sent = upstream.calls("x")[0].query["query"]
    left_out = [h for h in handles if f"from:{h}" not in sent]
    assert left_out and X_LEADERS_UNSEARCHED._value.get() == len(left_out)
    warnings = [r.getMessage() for r in caplog.records if "do not fit" in r.getMessage()]
    assert len(warnings) == 1 and f"{len(left_out)} leader handle(s)" in warnings[0]
    assert left_out[0] in warnings[0]


async def test_x_bad_token_never_leaks(upstream: UpstreamFake, http: HttpClient) -> None:
    from bot.sources.http import UpstreamError

    secret = "wrong-secret-token-123"
    source = XSource(
        "x",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/x/2",
        bearer_token=secret,
        leaders=lambda: ["karpathy"],
        phrases=lambda: ["vibe coding"],
    )
    with pytest.raises(UpstreamError) as info:
        await source.poll()
    assert secret not in str(info.value)
    snapshot = json.dumps(http.health.snapshot())
    assert "401" in snapshot and secret not in snapshot


def test_x_queries_cover_leaders_and_phrases() -> None:
    queries = build_queries(["karpathy"], ['summoning "ghosts"', "vibe coding"]).searches
    assert queries["leaders"] == "(from:karpathy) -is:retweet"
    assert queries["phrases"] == '("summoning ghosts" OR "vibe coding") -is:retweet'
    mixed = build_queries(["@karpathy", "jay.bsky.team", "simonwillison.net", "Sam Altman"], [])
    assert mixed.searches["leaders"] == "(from:karpathy) -is:retweet"  # X handles only
    assert mixed.unsearched == ()  # not X handles: nothing was left out for lack of room
    many = build_queries([f"user{i:03d}" for i in range(200)], [])
    assert len(many.searches["leaders"]) <= 512
    searched = many.searches["leaders"].count("from:")
    assert searched + len(many.unsearched) == 200  # each handle is searched or reported
    assert many.unsearched[0] == f"user{searched:03d}"  # the order given is the priority


def test_x_leader_query_serves_shipped_leaders_before_later_additions() -> None:
    from bot.leaders import DEFAULT_LEADERS, ordered_ids, x_handles

    # The attack: 20 handles sorting before every shipped one ("0…", "_…").
    pushy = [f"0{'a' * 14}" for _ in range(1)] + [f"_{i:02d}{'z' * 12}" for i in range(19)]
    ids = ordered_ids(DEFAULT_LEADERS, pushy)
    built = build_queries(x_handles(ids), [])
    shipped = [leader.x_handle.lower() for leader in DEFAULT_LEADERS if leader.x_handle]
    query = built.searches["leaders"]
    assert all(f"from:{handle} " in query or f"from:{handle})" in query for handle in shipped)
    assert set(built.unsearched) <= {h.lower() for h in pushy}
    assert built.unsearched  # the budget is full: the rest is reported, not silently cut


async def test_replay_fast_and_paced(tmp_path, http: HttpClient) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    start = datetime(2026, 3, 1, tzinfo=UTC)
    lines = [
        json.dumps(Post(f"p{i}", "x", "a", f"post {i}", start + timedelta(seconds=i)).to_json())
        for i in range(5)
    ]
    lines.insert(2, "{not json")
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    got: list[Post] = []
    fast = ReplaySource("replay:fast", http=http, cursors=MemoryCursorStore(), path=path, speed=0)
    await fast.run(got.extend)
    assert [p.id for p in got] == [f"p{i}" for i in range(5)]
    assert fast.finished and http.health.get("replay:fast").skipped == 1
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    paced = ReplaySource(
        "replay:paced",
        http=http,
        cursors=MemoryCursorStore(),
        path=path,
        speed=2.0,
        sleep=fake_sleep,
    )
    got.clear()
    await paced.run(got.extend)
    assert len(got) == 5
    # 4 s of event time at 2x; this sleep does not pass time, so each wait is due-from-start
    assert waits == pytest.approx([0.5, 1.0, 1.5, 2.0], abs=0.05)


async def test_replay_resumes_from_its_cursor_after_a_restart(
    tmp_path: Path, http: HttpClient
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    path = tmp_path / "posts.jsonl"

    def write(first: int, last: int) -> None:
        with path.open("a") as out:
            for i in range(first, last):
                moment = start + timedelta(seconds=i)
                out.write(json.dumps(Post(f"p{i}", "x", "a", f"post {i}", moment).to_json()) + "\n")

    write(0, 1200)  # more than one batch, so the cursor is saved mid-file too
    cursors = MemoryCursorStore()
    got: list[Post] = []
    await ReplaySource("replay:r", http=http, cursors=cursors, path=path, speed=0).run(got.extend)
    assert len(got) == 1200
    # a restarted process reads nothing twice, and picks up lines appended since
    write(1200, 1210)
    got.clear()
    await ReplaySource("replay:r", http=http, cursors=cursors, path=path, speed=0).run(got.extend)
    assert [p.id for p in got] == [f"p{i}" for i in range(1200, 1210)]
    # a different, shorter file at the same path starts from the top
    path.unlink()
    write(0, 3)
    got.clear()
    await ReplaySource("replay:r", http=http, cursors=cursors, path=path, speed=0).run(got.extend)
    assert [p.id for p in got] == ["p0", "p1", "p2"]
