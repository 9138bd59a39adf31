"""The scoring pipeline: a replay through it persists narratives and alerts exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace

from bot.engine import NarrativeEngine, canonicalize
from bot.engine.engine import JUMP_AGREEMENT
from bot.engine.generator import START, StreamGenerator, merge, replay
from bot.engine.types import AlertEvent, NarrativeView
from bot.pipeline import ScoringPipeline, stream_clock
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


SEER = "newseer"


def two_memes(seed: int = 5, split_minute: int = 200) -> tuple[list[Post], list[Post]]:
    """Two leader-seeded memes, split in two parts at `split_minute`.

    The seer posts "summoning ghosts" at 1:50 (it spreads from 2:20) and "vibe coding" at 3:10
    (it spreads from 3:40); by default the first part ends at 3:20, after the second seed post.
    """
    gen = StreamGenerator(seed)
    posts = merge(
        gen.background(5.5, 10),
        gen.meme(GHOST_VARIANTS[:2], start_minute=140, authors=500, leader=SEER),
        gen.meme(
            ["vibe coding", "vibe coded", "#VibeCoding"],
            start_minute=220,
            authors=500,
            leader=SEER,
            leader_text="just vibe coding all weekend, forget the code even exists",
        ),
    )
    split = START + timedelta(minutes=split_minute)
    return [p for p in posts if p.created_at < split], [p for p in posts if p.created_at >= split]


GHOSTS, VIBES = canonicalize("summoning ghosts"), canonicalize("vibe coding")


def _seeds(alerts: list[AlertEvent]) -> dict[str, str | None]:
    return {a.narrative.phrase: a.narrative.leader for a in alerts}


@pytest.mark.parametrize("remove", [False, True])
async def test_a_removed_leader_no_longer_seeds_even_from_posts_made_while_tracked(
    remove: bool,
) -> None:
    first, second = two_memes()
    pipeline = ScoringPipeline(NarrativeEngine(leaders=[SEER]), persist=False)
    pipeline.add(first)
    early = (await pipeline.tick()).alerts
    assert _seeds(early) == {GHOSTS: SEER}
    if remove:
        pipeline.set_leaders(["karpathy"])
        assert f"x:{SEER}" not in pipeline.engine.leaders
    pipeline.add(second)
    late = _seeds((await pipeline.tick()).alerts)
    assert VIBES in late
    assert late[VIBES] == (None if remove else SEER)


async def test_leaders_set_between_ticks_seed_later_narratives() -> None:
    first, second = two_memes(split_minute=180)  # before the seer's "vibe coding" post
    pipeline = ScoringPipeline(NarrativeEngine(), persist=False)
    pipeline.add(first)
    assert _seeds((await pipeline.tick()).alerts) == {GHOSTS: None}
    pipeline.set_leaders([f"@{SEER.upper()}"])  # handles are normalized like the engine's own
    pipeline.add(second)
    assert _seeds((await pipeline.tick()).alerts)[VIBES] == SEER


async def test_before_tick_runs_first_and_its_failure_does_not_stop_scoring() -> None:
    first, _ = two_memes()
    seen: list[int] = []
    engine = NarrativeEngine()

    async def prelude() -> None:
        seen.append(engine.posts_ingested)
        if len(seen) == 1:
            raise RuntimeError("database down")

    pipeline = ScoringPipeline(engine, persist=False, before_tick=prelude)
    pipeline.add(first[:100])
    assert (await pipeline.tick()).posts == 100
    pipeline.add(first[100:200])
    await pipeline.tick()
    assert seen == [0, 100]


async def test_a_pipeline_that_may_no_longer_write_neither_persists_nor_calls_the_hook(
    storage: str,
) -> None:
    first, second = two_memes()
    hook = Hook()
    writing = True
    pipeline = ScoringPipeline(NarrativeEngine(), on_narratives=hook, may_write=lambda: writing)
    pipeline.add(first)
    assert (await pipeline.tick()).persisted and len(hook.calls) == 1
    saved = (await Narrative.all().count(), await ScorePoint.all().count())
    assert saved[0] > 0
    writing = False  # the scorer role was lost
    pipeline.add(second)
    result = await pipeline.tick()
    assert result.posts == len(second) and result.views and not result.persisted
    assert len(hook.calls) == 1
    assert (await Narrative.all().count(), await ScorePoint.all().count()) == saved


def test_stream_clock_follows_the_engine_only_when_it_lags() -> None:
    engine = NarrativeEngine()
    wall = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    clock = stream_clock(engine, lag=timedelta(minutes=10), wall=lambda: wall)
    assert clock() == wall  # no posts yet
    old = StreamGenerator(2).background(0.2, 5)
    engine.ingest(old)
    assert engine.now is not None and engine.now < wall - timedelta(days=200)
    assert clock() == engine.now  # a replay of old posts
    # The engine's time only moves forward: first posts 11 minutes old (enough of them that the
    # engine's watermark follows the stream months ahead), then one 9 minutes old.
    for lag, expected in ((timedelta(minutes=11), None), (timedelta(minutes=9), wall)):
        recent = Post.from_json({**old[-1].to_json(), "id": f"r{lag}"})
        recent = replace(recent, created_at=wall - lag)
        engine.ingest([replace(recent, id=f"{recent.id}-{k}") for k in range(JUMP_AGREEMENT)])
        assert clock() == (expected or recent.created_at)
    ahead = replace(old[-1], id="future", created_at=wall + timedelta(hours=1))
    engine.ingest([ahead])
    assert clock() == wall  # posts dated in the future do not move "now" forward


def test_a_full_buffer_drops_and_counts_instead_of_growing() -> None:
    from bot.metrics import REGISTRY

    before = REGISTRY.get_sample_value("ghostwatch_posts_dropped_total") or 0.0
    posts = StreamGenerator(4).background(0.5, 20)
    assert len(posts) > 15
    pipeline = ScoringPipeline(NarrativeEngine(), persist=False, max_buffered=10)
    pipeline.add(posts[:4])
    pipeline.add(posts[4:])
    assert pipeline.buffered == 10 and pipeline.room == 0
    assert pipeline.dropped == len(posts) - 10
    assert REGISTRY.get_sample_value("ghostwatch_posts_dropped_total") == before + len(posts) - 10
    assert pipeline._buffer == posts[:10]  # what was queued first is what gets scored


async def test_posts_dated_past_the_wall_clock_are_dropped_and_counted() -> None:
    from bot.metrics import POSTS_SKEWED

    posts = StreamGenerator(4).background(0.5, 20)
    wall = posts[-1].created_at.timestamp() + 60
    pipeline = ScoringPipeline(NarrativeEngine(), persist=False, wall=lambda: wall)
    dropped = POSTS_SKEWED.labels("x", "dropped")
    before = dropped._value.get()
    future = [
        replace(posts[3], id="f1", source="x", created_at=datetime(2099, 1, 1, tzinfo=UTC)),
        replace(
            posts[4], id="f2", source="x", created_at=posts[-1].created_at + timedelta(hours=1)
        ),
    ]
    pipeline.add(posts[:10] + future + posts[10:])
    result = await pipeline.tick()
    assert result.posts == len(posts)
    assert pipeline.engine.now == posts[-1].created_at  # the clock followed real posts only
    assert dropped._value.get() == before + 2
    pipeline.add([replace(posts[0], id="near", created_at=datetime.fromtimestamp(wall + 120, UTC))])
    assert pipeline.buffered == 1  # a couple of minutes ahead is clock noise, not skew
