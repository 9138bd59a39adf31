"""Alerts fired inside one long pipeline tick (a speed=0 replay, a backlog) are never lost.

The real engine and ScoringPipeline run over a generated stream in one tick that spans the whole
wave, so the persisted narrative row is already cooling when the dispatcher plans; the alert must
still go out once per chat/watcher, as it was when it fired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.alerts.dispatcher import AlertDispatcher
from bot.engine.generator import START
from bot.engine.types import AlertEvent, Lifecycle
from bot.pipeline import ScoringPipeline
from bot.service.narratives import NarrativeService
from storage.models import Alert, Narrative
from tests.alerts.stream import (
    MEME_START,
    SECOND_WAVE,
    after,
    engine_until,
    ghost_posts,
    two_wave_posts,
    warmed_engine,
)
from tests.alerts.test_dispatcher import Sleeps, chat, dm
from tests.fakes.recording_sender import RecordingSender

WARM = MEME_START  # before the wave turns viral (~2:47)
COOLED = 330  # minutes: the single wave has peaked and cooled (score 0) by then
TWO_WAVES_COOLED = 560  # the second wave (viral at ~7:00) has cooled by then


_made: list[AlertDispatcher] = []


@pytest.fixture(autouse=True)
async def _close_dispatchers(storage: str) -> AsyncIterator[None]:
    """Delivery workers stop before the database closes (after storage is set up)."""
    yield
    while _made:
        await _made.pop().close()


async def subscribe(service: NarrativeService) -> None:
    """A normal chat, a low- and a high-threshold chat, a watcher and a bystander."""
    await service.set_alerts(chat("A"), True)
    await service.set_alerts(chat("low"), True)
    await service.set_threshold(chat("low"), 30)
    await service.set_alerts(chat("high"), True)
    await service.set_threshold(chat("high"), 100)
    await service.watch(dm("fan"), "summoning ghosts")
    await service.watch(dm("other"), "vibe coding")


def make(**kw: object) -> tuple[NarrativeService, RecordingSender, AlertDispatcher]:
    service = NarrativeService(clock=lambda: START + timedelta(minutes=WARM), render_charts=False)
    sender = RecordingSender()
    dispatcher = AlertDispatcher(
        {"test": sender},
        service,
        chat_interval=0.0,
        sleep=Sleeps(),
        **kw,  # type: ignore[arg-type]
    )
    _made.append(dispatcher)
    return service, sender, dispatcher


async def test_a_wave_that_peaks_and_cools_inside_one_tick_alerts_once(storage: str) -> None:
    max_age = timedelta(hours=1)
    service, sender, dispatcher = make(max_age=max_age)
    await subscribe(service)
    pipeline = ScoringPipeline(warmed_engine(WARM), on_narratives=dispatcher.on_narratives)
    pipeline.add(after(ghost_posts(), WARM))
    tick_end = START + timedelta(minutes=COOLED)
    result = await pipeline.tick(tick_end)
    await dispatcher.drain()

    [event] = result.alerts
    assert event.episode == 1 and event.narrative.score >= 60
    row = await Narrative.get(key=event.narrative.key)
    # The situation of the bug: by the end of the tick the row is past the wave.
    assert row.state == "cooling" and row.score < 30 and row.episode == 1
    # Fired more than max_age ago in stream time, recorded just now: not stale.
    assert tick_end - event.fired_at > max_age

    assert sorted((d.target, d.direct) for d in sender.delivered) == [
        ("A", False),
        ("fan", True),
        ("low", False),
    ]
    for delivery in sender.delivered:
        card = delivery.card
        assert (card.state, card.episode) == ("viral", 1)
        assert card.score == pytest.approx(event.narrative.score)  # not the row's cooled score
        # ... and the reasons are the fire-time ones, not the cooled row's
        reach = next(r for r in card.reasons if r.key == "reason.reach")
        assert reach.params["authors"] == event.narrative.authors != row.authors
    alerts = await Alert.all().order_by("id")
    assert {(a.target, a.episode, a.status) for a in alerts} == {
        ("A", 1, "sent"),
        ("low", 1, "sent"),
        ("fan", 1, "sent"),
    }
    assert all(a.score == pytest.approx(event.narrative.score) for a in alerts)

    # Later ticks (the narrative cooling further) send nothing more.
    pipeline.add(after(ghost_posts(), COOLED))
    await pipeline.tick(START + timedelta(minutes=COOLED + 60))
    await dispatcher.drain()
    assert len(sender.delivered) == 3


async def test_two_episodes_fired_inside_one_tick_are_two_alerts(storage: str) -> None:
    service, sender, dispatcher = make()
    await subscribe(service)
    posts = two_wave_posts()
    pipeline = ScoringPipeline(engine_until(posts, WARM), on_narratives=dispatcher.on_narratives)
    pipeline.add(after(posts, WARM))
    result = await pipeline.tick(START + timedelta(minutes=TWO_WAVES_COOLED))
    await dispatcher.drain()

    assert [event.episode for event in result.alerts] == [1, 2]
    assert len({event.narrative.key for event in result.alerts}) == 1
    row = await Narrative.get(key=result.alerts[0].narrative.key)
    assert row.state in ("cooling", "dormant") and row.episode == 2
    scores = {event.episode: event.narrative.score for event in result.alerts}
    for target, direct in [("A", False), ("low", False), ("fan", True)]:
        got = sender.to(target, direct)
        # In firing order, each with its own episode and fire-time score.
        assert [d.card.episode for d in got] == [1, 2]
        assert [d.card.score for d in got] == pytest.approx([scores[1], scores[2]])
        assert {d.card.state for d in got} == {"viral"}
    assert sender.to("high") == [] and sender.to("other") == []
    assert await Alert.filter(status="sent").count() == 6

    # The same events handed over again (a hook retry) record nothing new.
    again = await dispatcher.dispatch(result.views, result.alerts)
    assert (again.recorded, again.sent) == (0, 0)


async def test_an_event_for_a_narrative_not_persisted_is_skipped_not_fatal(storage: str) -> None:
    """A stale event (its row was never written) is logged and skipped; others still go out."""
    service, sender, dispatcher = make()
    await subscribe(service)
    pipeline = ScoringPipeline(warmed_engine(WARM), on_narratives=dispatcher.on_narratives)
    pipeline.add(after(ghost_posts(), WARM))
    result = await pipeline.tick(START + timedelta(minutes=COOLED))
    [event] = result.alerts
    ghost = AlertEvent(
        dataclasses.replace(event.narrative, key="never persisted"), event.fired_at, 1
    )
    assert ghost.narrative.state is Lifecycle.VIRAL
    report = await dispatcher.dispatch([], [ghost, event])
    assert report.recorded == 0  # the real one was recorded by the tick already, the ghost skipped
    assert len(sender.delivered) == 3


async def test_a_new_wave_after_a_lost_checkpoint_is_alerted_not_skipped(storage: str) -> None:
    service, sender, dispatcher = make()
    await service.set_alerts(chat("A"), True)
    posts = two_wave_posts()
    first = ScoringPipeline(engine_until(posts, WARM), on_narratives=dispatcher.on_narratives)
    first_wave_end = START + timedelta(minutes=COOLED)
    first.add([post for post in after(posts, WARM) if post.created_at < first_wave_end])
    [event] = (await first.tick(first_wave_end)).alerts
    await dispatcher.drain()
    assert event.episode == 1 and [d.card.episode for d in sender.to("A")] == [1]

    # The checkpoint is lost: a new engine, warmed on later posts only, meets the narrative
    # again in its second wave and counts that wave as its episode 1.
    later = [post for post in posts if post.created_at >= first_wave_end]
    fresh = ScoringPipeline(
        engine_until(later, SECOND_WAVE - 10), on_narratives=dispatcher.on_narratives
    )
    fresh.add(after(later, SECOND_WAVE - 10))
    fired = (await fresh.tick(START + timedelta(minutes=TWO_WAVES_COOLED))).alerts
    await dispatcher.drain()
    again = next(a for a in fired if a.narrative.key == event.narrative.key)
    assert again.episode == 1
    row = await Narrative.get(key=event.narrative.key)
    assert row.episode == 2
    ghost = [d.card.episode for d in sender.to("A") if d.card.key == event.narrative.key]
    assert ghost == [1, 2]
    episodes = (
        await Alert.filter(target="A", narrative_id=row.id)
        .order_by("id")
        .values_list("episode", flat=True)
    )
    assert episodes == [1, 2]
