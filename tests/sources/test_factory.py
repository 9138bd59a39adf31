"""Building connectors from GHOSTWATCH_SOURCES."""

from __future__ import annotations

from pydantic import SecretStr

from bot.config import Settings
from bot.sources.base import MemoryCursorStore
from bot.sources.factory import build_sources
from bot.sources.http import HttpClient
from bot.sources.jetstream import JetstreamSource


def test_every_kind_builds_and_bad_targets_are_skipped() -> None:
    settings = Settings(
        sources=(
            "bluesky,hackernews:ghosts?interval=90,rss:https://example.com/feed?x=1,"
            "reddit:singularity,mastodon:mastodon.social/tags/llm,mastodon:bad.example/@x,"
            "x,replay:/nonexistent.jsonl?speed=0,dexscreener,geckoterminal:base,pumpportal"
        ),
        x_bearer_token=SecretStr("tok"),
        bluesky_leader_dids=["karpathy=did:plc:abc"],
    )
    built = build_sources(settings, http=HttpClient(), cursors=MemoryCursorStore())
    names = [s.name for s in built.all()]
    assert names == [
        "bluesky",
        "hackernews:ghosts",
        "rss:https://example.com",
        "reddit:singularity",
        "mastodon:mastodon.social/tags/llm",
        "x",
        "replay:/nonexistent.jsonl",
        "dexscreener",
        "geckoterminal:base",
        "pumpportal",
    ]
    assert len(built.skipped) == 1 and built.skipped[0].startswith("mastodon:bad.example/@x: ")
    by_name = {s.name: s for s in built.all()}
    # the full entry only keys the cursor, so a restart resumes where the feed left off
    assert by_name["rss:https://example.com"].cursor_key == "rss:https://example.com/feed?x=1"
    assert by_name["hackernews:ghosts"].interval == 90.0  # type: ignore[attr-defined]
    bluesky = by_name["bluesky"]
    assert isinstance(bluesky, JetstreamSource) and bluesky.authors == {"did:plc:abc": "karpathy"}
    assert [s.name for s in built.streams] == ["bluesky", "replay:/nonexistent.jsonl", "pumpportal"]
    assert {s.name for s in built.tokens} == {"dexscreener", "geckoterminal:base", "pumpportal"}
