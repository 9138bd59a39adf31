"""The scan scheduler: every connector and the scoring tick in one event loop."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.engine import NarrativeEngine
from bot.metrics import REGISTRY
from bot.pipeline import ScoringPipeline
from bot.posts import Post
from bot.scheduler import ScanScheduler
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from storage.cursors import DbCursorStore
from storage.models import SourceCursor
from storage.models import TokenLaunch as TokenRow
from tests.fakes.upstream import UpstreamFake, eventually, upstream

__all__ = ["upstream"]


def ticks_done() -> float:
    """Scoring ticks finished in this process so far (the tick duration histogram's count)."""
    return REGISTRY.get_sample_value("ghostwatch_scoring_tick_seconds_count") or 0.0


async def test_bluesky_hackernews_dexscreener_in_one_loop(
    storage: str, upstream: UpstreamFake
) -> None:
    settings = Settings(
        **upstream.settings(
            sources="bluesky,hackernews,dexscreener", score_interval=0.3, poll_interval=0.5
        )
    )
    ticks: list[int] = []

    async def hook(views, alerts) -> None:  # type: ignore[no-untyped-def]
        ticks.append(len(views))

    pipeline = ScoringPipeline(NarrativeEngine(), on_narratives=hook)
    http = HttpClient(health=HealthRegistry(), backoff_base=0.01)
    scheduler = ScanScheduler(settings, pipeline, http=http, cursors=DbCursorStore())
    assert [s.name for s in scheduler.sources.all()] == ["bluesky", "hackernews", "dexscreener"]
    original_tick = pipeline.tick
    tick_posts: list[int] = []

    async def counting_tick(now=None):  # type: ignore[no-untyped-def]
        result = await original_tick(now)
        tick_posts.append(result.posts)
        return result

    pipeline.tick = counting_tick  # type: ignore[method-assign]
    await scheduler.start()
    try:
        await eventually(lambda: pipeline.posts_seen >= 17 + 2)  # 17 Bluesky posts + 2 HN stories
        await eventually(lambda: len(upstream.calls("hn")) >= 2)  # polled again at its interval
        await eventually(lambda: len(upstream.calls("dex:profiles")) >= 2)
        # posts_seen moves at the start of a tick: wait for that tick to finish
        await eventually(lambda: len(tick_posts) >= 1)
    finally:
        await scheduler.stop()
    calls_after_stop = len(upstream.requests)
    await asyncio.sleep(0.6)
    assert len(upstream.requests) == calls_after_stop  # nothing polls after stop()
    assert len(upstream.jetstream_cursors) == 1
    assert pipeline.posts_seen == 19
    assert sum(tick_posts) == 19
    # token launches from DexScreener were stored by the token job / final flush
    assert await TokenRow.filter(source="dexscreener").count() == 3
    cursors = {row.source: row.cursor for row in await SourceCursor.all()}
    assert json.loads(cursors["bluesky"])["time_us"] > 0
    assert cursors["hackernews"].isdigit()
    snapshot = {entry["name"]: entry for entry in http.health.snapshot()}
    assert snapshot["bluesky"]["items_total"] == 17
    assert snapshot["hackernews"]["items_total"] >= 2
    assert snapshot["dexscreener"]["items_total"] == 3
    assert all(entry["state"] == "stopped" for entry in snapshot.values())
    assert all(entry["last_error"] is None for entry in snapshot.values())
    await http.close()


async def test_a_failing_job_logs_and_runs_again(storage: str, upstream: UpstreamFake) -> None:
    settings = Settings(
        **upstream.settings(sources="hackernews", score_interval=0.2, poll_interval=0.2)
    )
    http = HttpClient(health=HealthRegistry(), retries=0, breaker_threshold=100)
    pipeline = ScoringPipeline(NarrativeEngine())
    scheduler = ScanScheduler(settings, pipeline, http=http, cursors=DbCursorStore())
    upstream.down("hn", 500)
    await scheduler.start()
    try:
        await eventually(lambda: len(upstream.calls("hn")) >= 3)
        assert http.health.get("hackernews").consecutive_failures >= 3
        upstream.up("hn")
        await eventually(lambda: pipeline.posts_seen == 2)
        assert http.health.get("hackernews").state == "ok"
    finally:
        await scheduler.stop()
        await http.close()


async def test_x_without_token_is_skipped_and_replay_finishes(
    storage: str, upstream: UpstreamFake, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    post = Post("r1", "x", "someone", "summoning ghosts again", datetime(2026, 3, 1, tzinfo=UTC))
    path.write_text(json.dumps(post.to_json()) + "\n")
    settings = Settings(**upstream.settings(sources=f"x,replay:{path}?speed=0", score_interval=0.2))
    pipeline = ScoringPipeline(NarrativeEngine())
    scheduler = ScanScheduler(settings, pipeline, cursors=DbCursorStore())
    assert [s.name for s in scheduler.sources.all()] == [f"replay:{path}"]
    assert scheduler.sources.skipped == ["x: GHOSTWATCH_X_BEARER_TOKEN is not set"]
    await scheduler.start()
    try:
        await eventually(lambda: pipeline.posts_seen == 1)
        # The replay marks itself finished after its last post is handed on and its cursor
        # saved (a database write), so the mark may come a moment after the post.
        await eventually(lambda: scheduler.health.get(f"replay:{path}").state == "finished")
        # The finished replay is not restarted; the bot keeps running: several more ticks,
        # and a restarted replay's posts would have reached one of them.
        ticks = ticks_done()
        await eventually(lambda: ticks_done() >= ticks + 3)
        assert pipeline.posts_seen == 1
    finally:
        await scheduler.stop()
