"""The scoring pipeline: a replay through it persists narratives and alerts exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine import NarrativeEngine
from bot.engine.generator import StreamGenerator, merge, replay
from bot.engine.types import AlertEvent, NarrativeView
from bot.pipeline import ScoringPipeline
from bot.posts import Post
from bot.sources.base import MemoryCursorStore
from bot.sources.http import HttpClient
from bot.sources.replay import ReplaySource
from storage.models import Narrative, ScorePoint
from storage.narratives import prune_score_points

GHOST_VARIANTS = ["summoning ghosts", "summoned ghosts", "Summon ghosts", "#SummoningGhosts"]
LEADERS = ("karpathy",)


def ghost_stream(seed: int = 1) -> list[Post]:
    gen = StreamGenerator(seed)
    background = gen.background(6, 20)
    meme = gen.meme(
        GHOST_VARIANTS,
        start_minute=200,
        ramp_minutes=60,
        peak_per_minute=6,
        hold_minutes=60,
        authors=400,
        leader="karpathy",
        leader_text="we are not building animals, we are summoning ghosts",
    )
    return merge(background, meme)


@pytest.fixture(scope="module")
def stream() -> list[Post]:
    return ghost_stream()


class Hook:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[tuple[list[NarrativeView], list[AlertEvent]]] = []
        self.fail_first = fail_first

    async def __call__(self, views: list[NarrativeView], alerts: list[AlertEvent]) -> None:
        self.calls.append((views, alerts))
        if self.fail_first and len(self.calls) == 1 and alerts:
            raise RuntimeError("dispatcher down")

    @property
    def alerts(self) -> list[AlertEvent]:
        return [a for _, alerts in self.calls for a in alerts]


def write_jsonl(posts: list[Post], path: Path) -> Path:
    path.write_text("".join(json.dumps(p.to_json()) + "\n" for p in posts), encoding="utf-8")
    return path


async def test_replay_through_pipeline_persists_and_alerts_once(
    storage: str, stream: list[Post], tmp_path: Path
) -> None:
    hook = Hook()
    pipeline = ScoringPipeline(NarrativeEngine(leaders=LEADERS), on_narratives=hook)
    source = ReplaySource(
        "replay:ghosts",
        http=HttpClient(),
        cursors=MemoryCursorStore(),
        path=write_jsonl(stream, tmp_path / "ghosts.jsonl"),
        speed=0,
    )
    await source.run(pipeline.add)
    assert source.finished and pipeline.buffered == len(stream)
    first = await pipeline.tick()
    assert first.posts == len(stream) and first.persisted
    for _ in range(2):  # later ticks with no new posts must not re-alert
        await pipeline.tick()
    assert len(hook.alerts) == 1
    alert = hook.alerts[0]
    # event-time determinism: the same alert as the engine's own minute-by-minute replay
    reference = [
        a for a in replay(NarrativeEngine(leaders=LEADERS), stream) if isinstance(a, AlertEvent)
    ]
    assert [(a.narrative.key, a.fired_at) for a in reference] == [
        (alert.narrative.key, alert.fired_at)
    ]
    row = await Narrative.get(key=alert.narrative.key)
    current = next(v for v in pipeline.views if v.key == row.key)
    assert row.state == str(current.state) == "cooling"  # the stream ends after the peak
    assert row.episode == 1
    assert row.phrase == "summon ghost"
    assert row.seed_leader == "karpathy"
    seed = next(p for p in stream if p.author == "karpathy")
    assert row.seed_post_id == seed.id
    assert row.seed_post_at == seed.created_at
    assert row.top_posts and {"id", "author", "text", "url"} <= set(row.top_posts[0])
    assert row.series and isinstance(row.series[0][0], str) and isinstance(row.series[0][1], int)
    assert row.score == pytest.approx(current.score)
    points = await ScorePoint.filter(narrative_id=row.id).order_by("at")
    assert len(points) == 3  # one per tick
    assert points[-1].at == stream[-1].created_at
    # every hook call got the views that were just persisted
    assert all(views for views, _ in hook.calls)


async def test_hook_failure_keeps_the_alert_for_the_next_tick(
    storage: str, stream: list[Post]
) -> None:
    hook = Hook(fail_first=True)
    pipeline = ScoringPipeline(NarrativeEngine(leaders=LEADERS), on_narratives=hook)
    pipeline.add(stream)
    result = await pipeline.tick()
    assert len(result.alerts) == 1
    await pipeline.tick()
    await pipeline.tick()
    delivered = [alerts for _, alerts in hook.calls if alerts]
    assert len(delivered) == 2  # refused once, accepted once, then never again
    assert delivered[0][0] is delivered[1][0]


async def test_prune_removes_old_score_points(storage: str) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    row = await Narrative.create(key="k", label="k", phrase="k", first_seen=now, updated_at=now)
    for days in (30, 10, 1):
        await ScorePoint.create(
            narrative=row, at=now - timedelta(days=days), score=1.0, mentions=1, authors=1
        )
    assert await prune_score_points(now - timedelta(days=14)) == 1
    assert await ScorePoint.filter(narrative=row).count() == 2


async def test_pipeline_without_storage_or_hook(stream: list[Post]) -> None:
    pipeline = ScoringPipeline(NarrativeEngine(leaders=LEADERS), persist=False)
    pipeline.add(stream[: len(stream) // 2])
    await pipeline.tick()
    pipeline.add(stream[len(stream) // 2 :])
    result = await pipeline.tick()
    assert pipeline.posts_seen == len(stream)
    assert any("ghost" in view.phrase for view in result.views)
    assert pipeline.phrases(1) == [result.views[0].phrase]
    refs = pipeline.narrative_refs()
    assert refs[0].key == result.views[0].key and refs[0].phrases[0] == result.views[0].phrase
