"""X API v2 tweets: what a tweet quotes or replies to."""

from __future__ import annotations

from typing import Any

from bot.sources.x import parse_tweet

USERS = {"42": "someone"}


def _tweet(**extra: Any) -> dict[str, Any]:
    return {
        "id": "1862000000000000009",
        "text": "幽霊を召喚 だって",
        "author_id": "42",
        "created_at": "2026-11-28T11:00:00.000Z",
        **extra,
    }


def test_a_quote_or_a_reply_names_the_post_it_points_at() -> None:
    quote = {"type": "quoted", "id": "1862000000000000002"}
    reply = {"type": "replied_to", "id": "1862000000000000001"}
    assert parse_tweet(_tweet(referenced_tweets=[reply, quote]), USERS).quotes == (
        "x:1862000000000000002"  # what it quotes is what it speaks of
    )
    assert parse_tweet(_tweet(referenced_tweets=[reply]), USERS).quotes == "x:1862000000000000001"
    assert parse_tweet(_tweet(), USERS).quotes is None


def test_a_retweet_or_a_malformed_reference_points_at_nothing() -> None:
    retweet = [{"type": "retweeted", "id": "1862000000000000002"}]
    assert parse_tweet(_tweet(referenced_tweets=retweet), USERS).quotes is None
    for junk in ("x", [1], [{"type": "quoted"}], [{"type": "quoted", "id": "12ab"}], {}):
        post = parse_tweet(_tweet(referenced_tweets=junk), USERS)
        assert post.quotes is None and post.text == "幽霊を召喚 だって"  # the post itself stays
