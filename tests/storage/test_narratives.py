"""Narrative rows the engine stops tracking do not stay marked active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.engine import NarrativeEngine
from bot.pipeline import ScoringPipeline
from storage.models import Narrative
from storage.narratives import retire_untracked

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def _row(key: str, state: str, episode: int) -> Narrative:
    return await Narrative.create(
        key=key,
        label=key,
        phrase=key,
        state=state,
        episode=episode,
        score=70.0,
        first_seen=NOW - timedelta(hours=3),
        updated_at=NOW - timedelta(hours=1),
    )


async def test_untracked_rows_become_dormant_or_quiet(storage: str) -> None:
    await _row("summon ghost", "viral", 1)  # alerted, then dropped by the engine
    await _row("bitter lesson", "emerging", 0)  # never alerted
    await _row("vibe code", "viral", 2)  # still tracked
    await _row("old news", "dormant", 1)
    changed = await retire_untracked(["vibe code"], NOW)
    assert changed == 2
    states = {row.key: row.state for row in await Narrative.all()}
    assert states == {
        "summon ghost": "dormant",
        "bitter lesson": "quiet",
        "vibe code": "viral",
        "old news": "dormant",
    }
    assert (await Narrative.get(key="summon ghost")).updated_at == NOW


async def test_a_pipeline_tick_retires_what_the_engine_no_longer_tracks(storage: str) -> None:
    await _row("summon ghost", "viral", 1)
    pipeline = ScoringPipeline(NarrativeEngine())
    result = await pipeline.tick(NOW)
    assert result.views == [] and result.persisted
    assert (await Narrative.get(key="summon ghost")).state == "dormant"
