"""Alerts fired inside one long pipeline tick (a speed=0 replay, a backlog) are never lost.

One tick may span a whole wave, so the persisted narrative row is already cooling when the
dispatcher plans; the alert must still go out once per chat/watcher, as it was when it fired.
The ticks are built here as the engine and pipeline give them (tests/builders.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.alerts.dispatcher import AlertDispatcher
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView
from bot.service.narratives import NarrativeService
from storage.models import Alert, Narrative
from tests.alerts.test_dispatcher import Sleeps, chat, dm
from tests.builders import AT, Ticks, alert_event, evolve, narrative_view
from tests.fakes.recording_sender import RecordingSender

WAVE_HOURS = timedelta(hours=2, minutes=40)  # a tick from before the wave to after it cooled


def wave(score: float = 64.0, *, episode: int = 1, first_seen_hours: float = 1) -> NarrativeView:
    """The narrative when it fired: viral, with the reach it had then."""
    return narrative_view(
        score=score,
        episode=episode,
        authors=40,
        at=AT,
        first_seen=AT - timedelta(hours=first_seen_hours),
    )


def cooled(view: NarrativeView, score: float = 12.0) -> NarrativeView:
    """The same narrative at the end of the tick: past the wave, seen by more authors."""
    return evolve(view, state=Lifecycle.COOLING, score=score, authors=view.authors + 25)


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
    service = NarrativeService(clock=lambda: AT, render_charts=False)
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
    fired = wave()
    event = alert_event(fired, at=AT)
    tick_end = AT + WAVE_HOURS
    tick = Ticks(dispatcher.on_narratives)
    await tick([cooled(fired)], [event], at=tick_end)
    await dispatcher.drain()

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
    await tick([cooled(fired, 3.0)], at=tick_end + timedelta(hours=1))
    await dispatcher.drain()
    assert len(sender.delivered) == 3


async def test_two_episodes_fired_inside_one_tick_are_two_alerts(storage: str) -> None:
    service, sender, dispatcher = make()
    await subscribe(service)
    first, second = wave(62.0), wave(71.0, episode=2)
    events = [
        alert_event(first, at=AT),
        alert_event(second, at=AT + timedelta(hours=4)),
    ]
    end = evolve(cooled(second), state=Lifecycle.DORMANT)
    result = await Ticks(dispatcher.on_narratives)([end], events, at=AT + timedelta(hours=6))
    await dispatcher.drain()

    row = await Narrative.get(key=first.key)
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
    fired = wave()
    event = alert_event(fired, at=AT)
    await Ticks(dispatcher.on_narratives)([cooled(fired)], [event], at=AT + WAVE_HOURS)
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
    tick = Ticks(dispatcher.on_narratives)
    first = wave()
    event = alert_event(first, at=AT)
    await tick([cooled(first)], [event], at=AT + WAVE_HOURS)
    await dispatcher.drain()
    assert event.episode == 1 and [d.card.episode for d in sender.to("A")] == [1]

    # The checkpoint is lost: a new engine, warmed on later posts only, meets the narrative
    # again in its second wave (so later than before) and counts that wave as its episode 1.
    later = AT + timedelta(hours=4)
    again = alert_event(evolve(wave(first_seen_hours=-3.5), series=first.series), at=later)
    await tick([cooled(again.narrative)], [again], at=later + WAVE_HOURS)
    await dispatcher.drain()
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
