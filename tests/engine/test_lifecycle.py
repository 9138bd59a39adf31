"""Narrative membership, time scale and re-alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.lifecycle import Narrative, step
from bot.engine.types import Lifecycle

AT = datetime(2026, 3, 1, tzinfo=UTC)
CFG = EngineConfig()


def _story() -> Narrative:
    return Narrative("vibe code", AT, Candidate(key=1, slot=1, first_seen=AT), 0)


def test_a_form_joining_a_told_story_is_scored_at_the_story_time_scale() -> None:
    """Looking back the scan's longest window, the story's own burst would keep it viral."""
    story = _story()
    late = Candidate(key=2, slot=2, first_seen=AT)
    story.add(late)
    assert late.scale is None  # not told yet: every form looks as far back as it needs
    story.anchor.scale = 1800.0  # the story alerted, detected over a 15-minute window
    tag = Candidate(key=3, slot=3, first_seen=AT)
    story.add(tag)
    assert tag.scale == 1800.0


def test_only_a_story_that_went_quiet_alerts_again() -> None:
    story = _story()
    assert step(story, 65.0, 0.0, AT, CFG, armed=True)  # the first alert
    later = AT + timedelta(minutes=CFG.cooldown_minutes + 30)
    strong = CFG.alert_threshold + CFG.realert_margin + 5
    assert not step(story, 30.0, 0.0, later, CFG, armed=True)
    assert story.state is Lifecycle.COOLING
    # Still cooling: a new form taking off or a second peak is the same wave.
    assert not step(story, strong, 1.0, later, CFG, armed=True)
    quiet = later + timedelta(minutes=1)
    for minute in range(CFG.dormant_minutes + 2):
        step(story, 0.0, 0.0, quiet + timedelta(minutes=minute), CFG, armed=True)
    assert story.state is Lifecycle.DORMANT
    again = quiet + timedelta(minutes=CFG.dormant_minutes + 5)
    assert step(story, strong, 1.0, again, CFG, armed=True)
    assert story.episode == 2
