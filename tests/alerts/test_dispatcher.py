"""AlertDispatcher against real storage, with narratives and alerts built as the engine's are."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.alerts.dispatcher import AlertDispatcher
from bot.alerts.sender import RetryLater, TargetGone
from bot.metrics import RATE_LIMIT_WAITS
from bot.pipeline import TickResult
from bot.service.narratives import NarrativeService
from bot.service.types import Caller
from storage import alerts as alert_store
from storage.models import Alert, Narrative, Subscription, TokenLaunch, TokenMatch
from tests.builders import AT, SEED_URL, Ticks, alert_event, fired, narrative_view, still_viral
from tests.fakes.recording_sender import RecordingSender


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def chat(chat_id: str, user: str = "1", admin: bool = True) -> Caller:
    return Caller("test", chat_id, user, is_admin=admin)


def dm(user: str, language: str = "en") -> Caller:
    return Caller("test", user, user, is_admin=True, language=language, private=True)


@dataclass
class World:
    service: NarrativeService
    sender: RecordingSender
    sleeps: Sleeps
    dispatcher: AlertDispatcher


def make_dispatcher(
    service: NarrativeService, sender: RecordingSender, sleeps: Sleeps, **kw: Any
) -> AlertDispatcher:
    kw.setdefault("clock", Clock())
    return AlertDispatcher({"test": sender}, service, chat_interval=0.0, sleep=sleeps, **kw)


@dataclass
class Clock:
    """The delivery worker's monotonic clock, moved by hand (flood-control deferrals)."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(storage: str) -> AsyncIterator[World]:
    service = NarrativeService(clock=lambda: AT, render_charts=False)
    sender = RecordingSender()
    sleeps = Sleeps()
    dispatcher = make_dispatcher(service, sender, sleeps)
    yield World(service, sender, sleeps, dispatcher)
    await dispatcher.close()


async def fire(w: World, hook: bool = False) -> TickResult:
    """The tick in which "summoning ghosts" alerts; with `hook`, handed to the dispatcher."""
    return await fired(w.dispatcher.on_narratives if hook else None)


async def test_each_subscribed_chat_gets_exactly_one_alert(world: World) -> None:
    svc = world.service
    await svc.set_alerts(chat("A"), True)
    await svc.set_alerts(chat("high"), True)
    await svc.set_threshold(chat("high"), 100)
    await svc.set_alerts(chat("off"), True)
    await svc.set_alerts(chat("off"), False)
    await svc.set_alerts(chat("quiet-leader"), True)
    await svc.quiet(chat("quiet-leader"), "@Karpathy")
    await svc.quiet(chat("quiet-phrase"), "ghosts")
    result = await fire(world)
    report = await world.dispatcher.dispatch(result.views, result.alerts)
    assert report.sent == 1
    [delivery] = world.sender.delivered
    assert delivery.target == "A" and not delivery.direct
    card = delivery.card
    assert card.phrase == "summon ghost" and card.leader == "karpathy"
    assert card.seed_post_url == SEED_URL
    assert card.score >= 60 and card.episode == 1
    assert {r.key for r in card.reasons} >= {"reason.reach", "reason.leader"}
    # The narrative stays viral for many ticks: no second alert for the same episode (and
    # none for the chat at 100, a score no evidence reaches).
    await still_viral(world.dispatcher.on_narratives, result, 20)
    await world.dispatcher.drain()
    assert len(world.sender.delivered) == 1
    row = await Alert.get(target="A")
    assert row.status == "sent" and row.message_id == "1" and row.sent_at is not None


async def test_low_threshold_chat_is_alerted_once_across_emerging_and_viral(
    world: World,
) -> None:
    await world.service.set_alerts(chat("low"), True)
    await world.service.set_threshold(chat("low"), 30)
    await world.service.set_alerts(chat("A"), True)
    tick = Ticks(world.dispatcher.on_narratives)
    start = AT - timedelta(minutes=40)
    for minute in range(41):  # emerging from a score of 30 on, viral (the alert) at 60
        at = start + timedelta(minutes=minute)
        view = narrative_view(score=20 + minute, leader=None, at=at)
        await tick([view], [alert_event(view, at=at)] if view.score >= 60 else [], at=at)
    await world.dispatcher.drain()
    low, normal = world.sender.to("low"), world.sender.to("A")
    assert len(low) == 1 and len(normal) == 1
    assert low[0].card.key == normal[0].card.key
    # The low-threshold chat heard about it while it was still emerging, before the others.
    assert world.sender.delivered.index(low[0]) < world.sender.delivered.index(normal[0])
    assert low[0].card.state == "emerging"


async def test_watchers_get_one_direct_message(world: World) -> None:
    svc = world.service
    await svc.watch(dm("phrase-user", "ja"), "Summoning Ghosts")
    await svc.watch(dm("leader-user"), "@karpathy")
    await svc.watch(dm("token-user"), "$GHOST")
    await svc.watch(dm("both"), "ghosts")
    await svc.watch(dm("both"), "@KARPATHY")
    await svc.watch(dm("other"), "vibe coding")
    await svc.watch(dm("other"), "$VIBE")
    result = await fire(world)
    narrative = await Narrative.get(key=result.alerts[0].narrative.key)
    token = await TokenLaunch.create(
        chain="solana",
        address="So1",
        name="Summoning Ghosts",
        symbol="GHOST",
        source="test",
        liquidity_usd=1234.0,
        seen_at=datetime(2026, 3, 1, 3, tzinfo=UTC),
    )
    await TokenMatch.create(
        token=token,
        narrative=narrative,
        similarity=95,
        after_seed=True,
        delay_seconds=600,
        matched_at=datetime(2026, 3, 1, 3, tzinfo=UTC),
    )
    await world.dispatcher.dispatch(result.views, result.alerts)
    direct = {d.target: d for d in world.sender.delivered if d.direct}
    assert sorted(direct) == ["both", "leader-user", "phrase-user", "token-user"]
    assert direct["phrase-user"].language == "ja"
    assert direct["token-user"].card.matched_watch is not None
    assert direct["token-user"].card.matched_watch.value == "GHOST"
    assert direct["leader-user"].card.matched_watch.kind == "leader"  # type: ignore[union-attr]
    assert direct["token-user"].card.tokens.count == 1
    await world.dispatcher.dispatch(result.views, result.alerts)
    assert len([d for d in world.sender.delivered if d.direct]) == 4


async def test_a_crash_between_record_and_send_neither_loses_nor_repeats(world: World) -> None:
    await world.service.set_alerts(chat("A"), True)
    await world.service.watch(dm("fan"), "summoning ghosts")
    result = await fire(world)
    world.sender.hang = asyncio.Event()  # the platform never answers ...
    task = asyncio.create_task(world.dispatcher.dispatch(result.views, result.alerts))
    for _ in range(200):
        if world.sender.attempts >= 1:
            break
        await asyncio.sleep(0.01)
    task.cancel()  # ... and the process dies mid-send
    with pytest.raises(asyncio.CancelledError):
        await task
    assert world.sender.delivered == []
    assert await Alert.filter(status="pending").count() == 2

    fresh = RecordingSender()
    restarted = make_dispatcher(world.service, fresh, world.sleeps)
    # The next tick after the restart arrives before resume() has run: still no duplicate.
    report = await restarted.dispatch(result.views, result.alerts)
    assert report.recorded == 0 and report.sent == 2
    assert (await restarted.resume()).sent == 0
    assert sorted((d.target, d.direct) for d in fresh.delivered) == [("A", False), ("fan", True)]
    assert await Alert.filter(status="sent").count() == 2


async def test_resume_sends_pending_alerts_once(world: World) -> None:
    await world.service.set_alerts(chat("A"), True)
    result = await fire(world)
    world.sender.failures["A"] = [ConnectionResetError("reset")]
    report = await world.dispatcher.dispatch(result.views, result.alerts)
    assert report.deferred == 1 and world.sender.delivered == []
    row = await Alert.get(target="A")
    assert row.status == "pending" and row.attempts == 1 and "reset" in (row.error or "")
    fresh = RecordingSender()
    restarted = make_dispatcher(world.service, fresh, world.sleeps)
    assert (await restarted.resume()).sent == 1
    assert (await restarted.resume()).sent == 0
    assert len(fresh.to("A")) == 1


async def test_flood_control_defers_that_chat_without_sleeping(world: World) -> None:
    clock = Clock()
    deferring = make_dispatcher(world.service, world.sender, world.sleeps, clock=clock)
    await world.service.set_alerts(chat("A"), True)
    await world.service.set_alerts(chat("B"), True)
    result = await fire(world)
    world.sender.failures["A"] = [RetryLater(7.0), RetryLater(3.5)]
    before = RATE_LIMIT_WAITS.labels("test")._value.get()
    report = await deferring.dispatch(result.views, result.alerts)
    assert (report.sent, report.deferred) == (1, 1) and len(world.sender.to("B")) == 1
    assert world.sleeps.waits == []  # nobody slept on it
    row = await Alert.get(target="A")
    assert row.status == "pending" and "retry after 7s" in (row.error or "")
    clock.now += 6.9  # not yet: A is left alone, not even tried
    attempts = world.sender.attempts
    assert (await deferring.resume()).deferred == 1 and world.sender.attempts == attempts
    clock.now += 0.2
    assert (await deferring.resume()).deferred == 1  # RetryLater(3.5) this time
    clock.now += 3.6
    assert (await deferring.resume()).sent == 1
    assert len(world.sender.to("A")) == 1 and len(world.sender.to("B")) == 1
    assert RATE_LIMIT_WAITS.labels("test")._value.get() == before + 2
    assert (await Alert.get(target="A")).attempts == 3


async def test_endless_flood_control_gives_up(world: World) -> None:
    clock = Clock()
    deferring = make_dispatcher(world.service, world.sender, world.sleeps, clock=clock)
    await world.service.set_alerts(chat("A"), True)
    result = await fire(world)
    world.sender.failures["A"] = [RetryLater(1.0) for _ in range(10)]
    report = await deferring.dispatch(result.views, result.alerts)
    for _ in range(4):
        assert report.deferred == 1
        clock.now += 1.0
        report = await deferring.resume()
    assert report.failed == 1 and world.sender.delivered == []
    assert world.sender.attempts == 5  # max_attempts=5, then give up
    assert (await Alert.get(target="A")).status == "failed"
    assert world.sleeps.waits == []


async def test_a_failed_pass_finishes_every_chat_task_before_it_ends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails for one chat while another chat's send is in flight: that send is
    cancelled before the pass ends, so the next pass sends its row once, not twice."""
    await world.service.set_alerts(chat("A"), True)
    await world.service.set_alerts(chat("B"), True)
    result = await fire(world)
    world.sender.holds["B"] = asyncio.Event()
    real_mark_sent = alert_store.mark_sent

    async def failing_mark_sent(alert: Alert, message_id: str | None) -> None:
        if alert.target == "A":
            for _ in range(1000):  # until B's send is in flight
                if world.sender.attempts >= 2:
                    break
                await asyncio.sleep(0.005)
            raise ConnectionResetError("database connection lost")
        await real_mark_sent(alert, message_id)

    monkeypatch.setattr(alert_store, "mark_sent", failing_mark_sent)
    with pytest.raises(ConnectionResetError):
        await world.dispatcher.dispatch(result.views, result.alerts)
    assert world.sender.cancelled == 1  # B's task did not outlive the pass
    monkeypatch.setattr(alert_store, "mark_sent", real_mark_sent)
    world.sender.holds["B"].set()
    world.sender.delivered.clear()
    assert (await world.dispatcher.resume()).sent == 2  # A (at least once) and B
    assert sorted(d.target for d in world.sender.delivered) == ["A", "B"]
    assert await Alert.filter(status="sent").count() == 2


async def test_a_chat_that_removed_the_bot_is_disabled_not_retried(world: World) -> None:
    await world.service.set_alerts(chat("gone"), True)
    await world.service.set_alerts(chat("A"), True)
    result = await fire(world)
    world.sender.failures["gone"] = [TargetGone("telegram: Forbidden: bot was kicked")]
    report = await world.dispatcher.dispatch(result.views, result.alerts)
    assert report.sent == 1 and report.failed == 1
    sub = await Subscription.get(platform="test", chat_id="gone")
    assert not sub.enabled and "kicked" in (sub.disabled_reason or "")
    settings = await world.service.subscription(chat("gone"))
    assert settings.disabled_reason is not None
    attempts = world.sender.attempts
    await still_viral(world.dispatcher.on_narratives, result, 10)
    await world.dispatcher.drain()
    await world.dispatcher.resume()
    assert world.sender.attempts == attempts
    # An admin turning alerts back on clears the reason.
    settings = await world.service.set_alerts(chat("gone"), True)
    assert settings.enabled and settings.disabled_reason is None


async def test_a_user_who_blocked_the_bot_gets_no_more_direct_messages(world: World) -> None:
    await world.service.watch(dm("fan"), "summoning ghosts")
    result = await fire(world)
    world.sender.failures["fan"] = [TargetGone("blocked")]
    await world.dispatcher.dispatch(result.views, result.alerts)
    assert (await Alert.get(target="fan")).status == "failed"
    # Their watch list is kept (no data loss); /start again makes them reachable.
    assert len((await world.service.watchlist(dm("fan"))).items) == 1
    await Alert.all().delete()
    await world.dispatcher.dispatch(result.views, result.alerts)
    assert await Alert.all().count() == 0
    await world.service.hello(dm("fan"))
    await world.dispatcher.dispatch(result.views, result.alerts)
    assert len(world.sender.to("fan")) == 1


async def test_per_chat_hourly_cap_skips_excess_alerts(world: World) -> None:
    capped = make_dispatcher(world.service, world.sender, world.sleeps, max_per_hour=0)
    await world.service.set_alerts(chat("A"), True)
    result = await fire(world)
    report = await capped.dispatch(result.views, result.alerts)
    assert report.skipped == 1 and world.sender.delivered == []
    assert (await Alert.get(target="A")).error == "chat rate limit"


async def test_paces_messages_to_one_chat(world: World) -> None:
    paced = AlertDispatcher(
        {"test": world.sender}, world.service, chat_interval=5.0, sleep=world.sleeps
    )
    await world.service.set_alerts(chat("A"), True)
    await world.service.watch(dm("A"), "ghosts")  # same target id, direct: second message
    result = await fire(world)
    await paced.dispatch(result.views, result.alerts)
    assert len(world.sender.delivered) == 2
    assert len(world.sleeps.waits) == 1 and 4.0 < world.sleeps.waits[0] <= 5.0


async def test_delivers_every_pending_alert_page_by_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.alerts.delivery.PAGE", 2)
    for i in range(5):
        await world.service.set_alerts(chat(f"c{i}"), True)
    result = await fire(world)
    report = await world.dispatcher.dispatch(result.views, result.alerts)
    assert report.recorded == 5 and report.sent == 5
    assert sorted(d.target for d in world.sender.delivered) == [f"c{i}" for i in range(5)]


async def test_direct_messages_respect_the_users_own_mutes(world: World) -> None:
    await world.service.watch(dm("muted"), "ghosts")
    await world.service.quiet(dm("muted"), "@karpathy")
    await world.service.watch(dm("open"), "ghosts")
    result = await fire(world)
    await world.dispatcher.dispatch(result.views, result.alerts)
    assert [d.target for d in world.sender.delivered] == ["open"]


async def test_the_pipeline_hook_records_at_once_and_delivers_in_the_background(
    world: World,
) -> None:
    await world.service.set_alerts(chat("A"), True)
    world.sender.hang = asyncio.Event()  # a flood wait / slow platform
    result = await fire(world, hook=True)  # the tick returns although the send has not finished
    assert result.alerts and world.sender.delivered == []
    assert (await Alert.get(target="A")).status == "pending"  # durable before the hook returned
    world.sender.hang.set()
    await world.dispatcher.drain()
    assert len(world.sender.to("A")) == 1
    assert (await Alert.get(target="A")).status == "sent"


async def test_close_leaves_unsent_alerts_pending(world: World) -> None:
    await world.service.set_alerts(chat("A"), True)
    world.sender.hang = asyncio.Event()
    await fire(world, hook=True)
    await world.dispatcher.close()
    assert (await Alert.get(target="A")).status == "pending"
    fresh = RecordingSender()
    assert (await make_dispatcher(world.service, fresh, world.sleeps).resume()).sent == 1


async def test_alerts_pending_since_a_long_outage_are_skipped_not_sent(world: World) -> None:
    await world.service.set_alerts(chat("A"), True)
    await world.service.set_alerts(chat("B"), True)
    result = await fire(world)
    await world.dispatcher.record(result.views, result.alerts)
    week_ago = datetime.now(UTC) - timedelta(days=7)
    await Alert.filter(target="A").update(created_at=week_ago)
    report = await world.dispatcher.resume()
    assert (report.sent, report.skipped) == (1, 1)
    assert [d.target for d in world.sender.delivered] == ["B"]
    assert (await Alert.get(target="A")).error == "stale"
