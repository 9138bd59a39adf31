"""Narrative rows: breakdowns stored versioned, and rows the engine stops tracking do not stay
marked active."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from bot.engine import NarrativeEngine
from bot.engine.breakdown import Breakdown
from bot.engine.types import Lifecycle, NarrativeView
from bot.pipeline import ScoringPipeline
from storage.models import Narrative
from storage.narratives import retire_untracked, save_views
from tests.builders import narrative_view

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


async def test_stored_episodes_continue_when_the_engines_count_restarts(storage: str) -> None:
    at = NOW
    base = NarrativeView(
        key="summon ghost",
        label="summoning ghosts",
        phrase="summon ghost",
        phrases=("summon ghost",),
        state=Lifecycle.VIRAL,
        score=70.0,
        breakdown=Breakdown.EMPTY,
        episode=1,
        first_seen=NOW - timedelta(hours=1),
        leader=None,
        seed_post=None,
        authors=10,
        mentions=20,
        sources=("bluesky",),
        series=(),
        top_posts=(),
    )
    await save_views([dataclasses.replace(base, episode=3, state=Lifecycle.VIRAL)], at)
    # The same engine output again (a replay, an older checkpoint): the same numbers.
    await save_views([dataclasses.replace(base, episode=1, state=Lifecycle.VIRAL)], at)
    row = await Narrative.get(key=base.key)
    assert (row.episode, row.episode_offset) == (1, 0)
    await save_views([dataclasses.replace(base, episode=3, state=Lifecycle.VIRAL)], at)
    # A restarted engine meets the narrative later: emerging (its own count at 0) ...
    later = dataclasses.replace(base, first_seen=NOW, episode=0, state=Lifecycle.EMERGING)
    await save_views([later], at)
    row = await Narrative.get(key=base.key)
    assert (row.episode, row.episode_offset) == (3, 3)
    # ... then viral (its episode 1), and counting on within that lifetime.
    await save_views([dataclasses.replace(later, episode=1, state=Lifecycle.VIRAL)], at)
    assert (await Narrative.get(key=base.key)).episode == 4
    await save_views([dataclasses.replace(later, episode=2, state=Lifecycle.VIRAL)], at)
    row = await Narrative.get(key=base.key)
    assert (row.episode, row.episode_offset) == (5, 3)
    # Yet another lifetime whose first save already holds a fired wave.
    third = dataclasses.replace(base, first_seen=NOW + timedelta(hours=5), episode=1)
    await save_views([third], at)
    row = await Narrative.get(key=base.key)
    assert (row.episode, row.episode_offset) == (6, 5)


async def test_breakdowns_are_stored_as_version_1_and_read_back(storage: str) -> None:
    view = narrative_view()
    await save_views([view], NOW)
    stored = (await Narrative.get(key=view.key)).breakdown
    assert stored == view.breakdown.to_json() and stored["v"] == 1
    assert Breakdown.from_json(stored) == view.breakdown


async def test_the_spellings_people_wrote_are_stored_beside_the_folded_forms(storage: str) -> None:
    view = narrative_view("summon ghost", phrases=("#summoningghost", "summon ghost"))
    spelled = dataclasses.replace(view, forms=("#SummoningGhosts", "summoning ghosts"))
    await save_views([spelled], NOW)
    row = await Narrative.get(key=view.key)
    # The folded forms stay first (watch lists and lookups match them), each once.
    assert row.phrases == [
        "#summoningghost",
        "summon ghost",
        "#SummoningGhosts",
        "summoning ghosts",
    ]
