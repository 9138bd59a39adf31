"""End to end: real python-telegram-bot polling the fake Bot API, real service, dispatch, DB."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import timedelta

from pydantic import SecretStr

from bot.alerts.dispatcher import AlertDispatcher
from bot.config import Settings
from bot.pipeline import TickResult
from bot.render.clean import WORD_JOINER
from bot.service.types import Caller
from bot.telegram.app import start_telegram
from bot.telegram.sender import TelegramAlertSender
from storage.models import Alert, Subscription, WatchItem
from tests.builders import AT, SEED_URL, fired, still_viral
from tests.fakes.telegram_server import Call
from tests.telegram.conftest import Bot

GROUP = -100123
ADMIN = 7
MEMBER = 9
FAN = 8


def to(chat: int) -> Callable[[Call], bool]:
    return lambda call: call.chat_id == str(chat)


async def say(tg: Bot, chat: int, text: str, user: int, **kw: object) -> Call:
    """Send a message as a user and return the bot's next reply to that chat."""
    before = len(tg.server.sent("sendMessage", chat))
    chat_type = "private" if chat > 0 else "supergroup"
    tg.server.user_message(chat, text, user_id=user, chat_type=chat_type, **kw)  # type: ignore[arg-type]
    calls = await tg.server.wait_for("sendMessage", to(chat), count=before + 1)
    return calls[before]


def dispatcher_for(tg: Bot, **kw: object) -> AlertDispatcher:
    return AlertDispatcher(
        {"telegram": tg.frontend.sender},
        tg.service,
        chat_interval=0.0,
        **kw,  # type: ignore[arg-type]
    )


async def fire(tg: Bot, dispatcher: AlertDispatcher | None = None) -> TickResult:
    """The tick in which "summoning ghosts" alerts, handed to `dispatcher` if given."""
    result = await fired(dispatcher.on_narratives if dispatcher else None)
    tg.clock.now = AT
    return result


async def test_group_alert_and_direct_message_end_to_end(tg: Bot) -> None:
    server = tg.server
    server.set_member(GROUP, ADMIN, "administrator")
    reply = await say(tg, GROUP, "/alerts on", ADMIN)
    assert "Alerts are on" in reply.params["text"]
    reply = await say(tg, FAN, "/watch Summoning Ghosts", FAN)
    assert "Watching phrase" in reply.params["text"]
    assert any(c.method == "getChatMember" for c in server.calls)

    dispatcher = dispatcher_for(tg)
    result = await fire(tg, dispatcher)
    [alert] = (await server.wait_for("sendMessage", to(GROUP), count=2))[1:]
    text = alert.params["text"]
    assert "summoning ghosts" in text and "Score" in text
    assert f'<a href="{SEED_URL}">' in text
    assert f"@{WORD_JOINER}karpathy" in text  # shown, but never a live mention
    buttons = alert.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["Details", "Watch"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert alert.params["link_preview_options"] == {"is_disabled": True}
    [direct] = (await server.wait_for("sendMessage", to(FAN), count=2))[1:]
    assert "You get this because you watch phrase" in direct.params["text"]

    # More ticks while it stays viral: still exactly one alert per chat.
    await still_viral(dispatcher.on_narratives, result, 14)
    await dispatcher.drain()
    assert len(server.sent("sendMessage", GROUP)) == 2
    assert len(server.sent("sendMessage", FAN)) == 2
    assert await Alert.filter(status="sent").count() == 2
    await dispatcher.close()


async def test_non_admin_cannot_change_settings(tg: Bot) -> None:
    tg.server.set_member(GROUP, ADMIN, "creator")
    await say(tg, GROUP, "/alerts on", ADMIN)
    for command in (
        "/alerts off",
        "/alerts threshold 5",
        "/leaders add @someone",
        "/alerts quiet x",
    ):
        reply = await say(tg, GROUP, command, MEMBER)
        assert reply.params["text"] == "Only chat administrators can change this."
    sub = await Subscription.get(platform="telegram", chat_id=str(GROUP))
    assert sub.enabled and sub.threshold == 60 and sub.quiet_phrases == []
    # Anyone may read.
    reply = await say(tg, GROUP, "/alerts status", MEMBER)
    assert "Alerts: on" in reply.params["text"] and "Threshold: 60" in reply.params["text"]
    reply = await say(tg, GROUP, "/leaders", MEMBER)
    assert "karpathy" in reply.params["text"]
    # The admin can.
    reply = await say(tg, GROUP, "/alerts threshold 75", ADMIN)
    assert "75" in reply.params["text"]
    reply = await say(tg, GROUP, "/leaders add @NewVoice", ADMIN)
    assert "newvoice" in reply.params["text"]
    assert (await Subscription.get(platform="telegram", chat_id=str(GROUP))).threshold == 75


async def test_ghosts_and_narrative_answer_with_content_and_a_photo(tg: Bot) -> None:
    await fire(tg)
    reply = await say(tg, 5, "/ghosts", 5)
    text = reply.params["text"]
    assert "Emerging narratives" in text and "summoning ghosts" in text
    assert "score " in text and any(bar in text for bar in "▁▂▃▄▅▆▇█")
    assert f'<a href="{SEED_URL}">seeded by @{WORD_JOINER}karpathy</a>' in text

    tg.server.user_message(5, "/narrative summoned ghosts", user_id=5)
    [photo] = await tg.server.wait_for("sendPhoto", to(5))
    assert photo.files["photo"].startswith(b"\x89PNG\r\n\x1a\n")
    assert "summoning ghosts" in photo.params["caption"]
    detail = (await tg.server.wait_for("sendMessage", to(5), count=2))[1].params["text"]
    assert "<b>Why</b>" in detail
    assert "first said by @" in detail and "karpathy" in detail
    assert "distinct authors across" in detail
    assert "summon ghost" in detail  # member phrases

    # The Details button on an alert sends the same; the Watch button adds a watch item.
    ref = (await tg.service.narrative("summoning ghosts")).summary.ref
    tg.server.press_button(5, f"d:{ref}", user_id=5, chat_type="private")
    await tg.server.wait_for("sendPhoto", to(5), count=2)
    tg.server.press_button(5, f"w:{ref}", user_id=5, chat_type="private")
    answers = await tg.server.wait_for("answerCallbackQuery", count=2)
    assert "Watching" in answers[-1].params.get("text", "")
    assert await WatchItem.filter(user_id="5", value="summon ghost").count() == 1


async def crash_mid_send(tg: Bot, *, accepted: bool) -> tuple[TickResult, AlertDispatcher]:
    """Record and start sending an alert, then kill the process before Telegram answers."""
    tg.server.set_member(GROUP, ADMIN, "administrator")
    await say(tg, GROUP, "/alerts on", ADMIN)
    result = await fire(tg)
    release = tg.server.hold("sendMessage", deliver=accepted)
    task = asyncio.create_task(dispatcher_for(tg).dispatch(result.views, result.alerts))
    await tg.server.wait_for("sendMessage", to(GROUP), count=2, include_failed=True)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    release.set()
    await asyncio.sleep(0.05)  # let the server finish the held call
    del tg.server.holds["sendmessage"]
    await tg.frontend.stop()
    assert (await Alert.get(target=str(GROUP))).status == "pending"
    # A new process: new PTB application, new dispatcher.
    settings = Settings(
        telegram_token=SecretStr(tg.server.token),
        telegram_api_url=tg.server.url,
        database_url=tg.database_url,
    )
    tg.frontend = await start_telegram(settings, tg.service, poll_timeout=30)
    dispatcher = AlertDispatcher({"telegram": tg.frontend.sender}, tg.service, chat_interval=0)
    return result, dispatcher


def alerts_in_group(tg: Bot) -> list[Call]:
    return [c for c in tg.server.sent("sendMessage", GROUP) if "Score" in c.params["text"]]


async def test_restart_mid_send_neither_repeats_nor_drops(tg: Bot) -> None:
    result, dispatcher = await crash_mid_send(tg, accepted=False)
    assert alerts_in_group(tg) == []
    assert (await dispatcher.resume()).sent == 1
    await dispatcher.dispatch(result.views, result.alerts)  # the next tick: nothing new
    assert (await dispatcher.resume()).sent == 0
    assert len(alerts_in_group(tg)) == 1
    assert (await Alert.get(target=str(GROUP))).status == "sent"


async def test_crash_after_telegram_accepted_repeats_at_most_once(tg: Bot) -> None:
    """The documented at-least-once window: accepted by Telegram, not yet marked sent."""
    result, dispatcher = await crash_mid_send(tg, accepted=True)
    assert len(alerts_in_group(tg)) == 1
    assert (await dispatcher.resume()).sent == 1
    await dispatcher.dispatch(result.views, result.alerts)
    assert (await dispatcher.resume()).sent == 0
    assert len(alerts_in_group(tg)) == 2


async def test_a_chat_under_flood_control_does_not_hold_up_other_chats(tg: Bot) -> None:
    """Telegram tells one group to wait 300 s: the other group's alert still goes out in the
    same tick, and the tick itself is not held up (delivery runs in its own worker)."""
    other = -100456
    for group in (GROUP, other):
        tg.server.set_member(group, ADMIN, "administrator")
        await say(tg, group, "/alerts on", ADMIN)
    tg.server.fail_next("sendMessage", status=429, retry_after=300, chat_id=GROUP, times=10)
    dispatcher = dispatcher_for(tg)
    try:
        result = await fire(tg, dispatcher)
        await dispatcher.drain()  # the pass that followed the tick is over: nobody waited 300 s
        [alert] = (await tg.server.wait_for("sendMessage", to(other), count=2))[1:]
        assert "summoning ghosts" in alert.params["text"]
        refused = [c for c in tg.server.calls if c.chat_id == str(GROUP) and c.status == 429]
        assert len(refused) == 1 and alerts_in_group(tg) == []
        row = await Alert.get(target=str(GROUP))
        assert row.status == "pending" and "retry after 300s" in (row.error or "")
        held = dispatcher.worker.held_until("telegram", str(GROUP))
        assert held is not None and held - time.monotonic() > 290
        # Later ticks neither retry the held chat early nor stall.
        await still_viral(dispatcher.on_narratives, result, 3)
        await dispatcher.drain()
        assert len([c for c in tg.server.calls if c.status == 429]) == 1
    finally:
        await dispatcher.close()
    assert (await Alert.get(target=str(other))).status == "sent"


async def test_blocked_bot_disables_the_subscription(tg: Bot) -> None:
    await say(tg, FAN, "/alerts on", FAN)  # a private chat subscribes itself
    await say(tg, FAN, "/watch @karpathy", FAN)
    tg.server.block(FAN)
    result = await fire(tg)
    report = await dispatcher_for(tg).dispatch(result.views, result.alerts)
    assert report.failed == 2 and report.sent == 0  # the chat alert and the DM
    sub = await Subscription.get(platform="telegram", chat_id=str(FAN))
    assert not sub.enabled and "blocked" in (sub.disabled_reason or "")
    statuses = set(await Alert.all().values_list("status", flat=True))
    assert statuses == {"failed"}
    attempts = len([c for c in tg.server.calls if c.chat_id == str(FAN) and c.status == 403])
    assert attempts == 1  # the DM after the first 403 was not tried
    await still_viral(None, result, 9)  # no hook: nothing new is recorded
    await dispatcher_for(tg).resume()
    assert len([c for c in tg.server.calls if c.status == 403]) == attempts


async def test_commands_registered_in_english_and_japanese(tg: Bot) -> None:
    english = {c["command"]: c["description"] for c in tg.server.commands[""]}
    japanese = {c["command"]: c["description"] for c in tg.server.commands["ja"]}
    assert set(english) == set(japanese) >= {"ghosts", "narrative", "watch", "alerts", "status"}
    assert english["ghosts"] != japanese["ghosts"]
    reply = await say(tg, 11, "/help", 11, language_code="ja")
    assert "ghostwatch のコマンド" in reply.params["text"]


async def test_bad_input_gets_a_usage_line(tg: Bot) -> None:
    cases = {
        "/frobnicate": "Unknown command. Try /help.",
        "/alerts sideways": "Usage: /alerts on",
        "/narrative": "Usage: /narrative",
        "/ghosts 99": "Usage: /ghosts",
        "/leaders promote @x": "Usage: /leaders",
        "/watch": "Usage: /watch",
        "/alerts threshold 101": "from 0 to 100",
    }
    for command, expected in cases.items():
        reply = await say(tg, 12, command, 12)
        assert expected in reply.params["text"], command
    reply = await say(tg, 12, "/narrative nothing like this", 12)
    assert "No tracked narrative matches" in reply.params["text"]


async def test_status_reports_sources_and_narratives(tg: Bot) -> None:
    await fire(tg)
    reply = await say(tg, 13, "/status", 13)
    text = reply.params["text"]
    assert "Narratives tracked: 1" in text and "Database: ok" in text


async def test_group_upgraded_to_supergroup_keeps_its_alerts(tg: Bot) -> None:
    tg.server.set_member(GROUP, ADMIN, "administrator")
    await say(tg, GROUP, "/alerts threshold 50", ADMIN)
    await say(tg, GROUP, "/leaders add @newvoice", ADMIN)
    # Telegram refuses the send and names the new id; the alert follows the chat there.
    moved = -1009999
    tg.server.fail_next(
        "sendMessage",
        status=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": moved},
        chat_id=GROUP,
    )
    result = await fire(tg)
    report = await dispatcher_for(tg).dispatch(result.views, result.alerts)
    assert report.sent == 1
    [alert] = tg.server.sent("sendMessage", moved)
    assert "summoning ghosts" in alert.params["text"]
    sub = await Subscription.get(platform="telegram", chat_id=str(moved))
    assert sub.enabled and sub.threshold == 50
    assert not await Subscription.filter(chat_id=str(GROUP)).exists()
    # The service message moves the chat's own leaders (and settings, if not moved yet).
    tg.server.migrate(GROUP, moved)
    for _ in range(100):
        leaders = await tg.service.leaders(Caller("telegram", str(moved), "1", is_admin=False))
        if leaders.chat_leaders:
            break
        await asyncio.sleep(0.02)
    assert [e.handle for e in leaders.chat_leaders] == ["newvoice"]


async def test_delivery_errors_never_carry_the_token(tg: Bot) -> None:
    await say(tg, FAN, "/alerts on", FAN)
    tg.server.fail_next(
        "sendMessage", status=500, description=f"Internal {tg.server.token}", chat_id=FAN
    )
    result = await fire(tg)
    report = await dispatcher_for(tg).dispatch(result.views, result.alerts)
    assert report.deferred == 1
    row = await Alert.get(target=str(FAN))
    assert row.status == "pending" and row.error and "***" in row.error
    assert tg.server.token not in row.error
    assert (await dispatcher_for(tg).resume()).sent == 1


async def test_japanese_group_gets_japanese_alerts(tg: Bot) -> None:
    tg.server.set_member(GROUP, ADMIN, "administrator")
    reply = await say(tg, GROUP, "/alerts on", ADMIN, language_code="ja")
    assert "通知をオンにしました" in reply.params["text"]  # a new chat takes the admin's language
    reply = await say(tg, GROUP, "/alerts language en", ADMIN)
    assert "English" in reply.params["text"]
    reply = await say(tg, GROUP, "/alerts language ja", ADMIN)
    assert "日本語" in reply.params["text"]
    result = await fire(tg)
    await dispatcher_for(tg).dispatch(result.views, result.alerts)
    alert = tg.server.sent("sendMessage", GROUP)[-1]
    assert "新しいナラティブ: summoning ghosts" in alert.params["text"]
    # The reasons are Japanese too: the phrase was all but unheard of before its adopters.
    assert "これまでほぼ言及なし" in alert.params["text"] and "人が投稿" in alert.params["text"]
    buttons = alert.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["詳細", "ウォッチ"]


async def test_sender_stays_under_telegrams_global_rate(tg: Bot) -> None:
    for i in range(12):
        await tg.service.set_alerts(Caller("telegram", str(-2000 - i), "1", is_admin=True), True)
    sender = TelegramAlertSender(tg.frontend.application.bot, max_per_second=20.0)
    result = await fire(tg)
    dispatcher = AlertDispatcher({"telegram": sender}, tg.service, chat_interval=0)
    assert (await dispatcher.dispatch(result.views, result.alerts)).sent == 12
    sends = sorted(c.at for c in tg.server.sent("sendMessage"))
    assert sends[-1] - sends[0] >= 11 / 20.0 * 0.9  # 12 sends at most 20/s apart


async def test_ghosts_after_the_stream_went_quiet_lists_the_recent_alerts(tg: Bot) -> None:
    await fire(tg)
    tg.clock.now += timedelta(hours=7)  # nothing new since: the narrative is no longer live
    text = (await say(tg, 5, "/ghosts", 5)).params["text"]
    assert "Nothing is live right now." in text
    assert "Alerted in the last 24 h:" in text
    assert re.search(r"<b>summoning ghosts</b> — peak \d+/100 · cooled 7\.\d h ago", text), text
    ja = (await say(tg, 5, "/ghosts", 5, language_code="ja")).params["text"]
    assert "いま広がっているものはありません。" in ja and "summoning ghosts" in ja


GROUP_ANONYMOUS_BOT = 1087968824  # what Telegram puts in "from" for an anonymous admin
CHANNEL_BOT = 136817688  # ... and for a user writing as their channel
OTHER_GROUP = -100456


def as_group(chat: int) -> dict[str, object]:
    return {"id": chat, "type": "supergroup", "title": "Group"}


async def test_settings_need_the_change_info_right_not_any_admin_status(tg: Bot) -> None:
    tg.server.set_member(GROUP, ADMIN, "administrator", can_change_info=False)
    reply = await say(tg, GROUP, "/alerts on", ADMIN)
    assert "Change group info" in reply.params["text"]
    reply = await say(tg, GROUP, "/leaders add @someone", ADMIN)
    assert "Change group info" in reply.params["text"]
    assert await Subscription.all().count() == 0
    tg.server.set_member(GROUP, ADMIN, "administrator", can_change_info=True)
    reply = await say(tg, GROUP, "/alerts on", ADMIN)
    assert "Alerts are on" in reply.params["text"]


async def test_an_anonymous_admin_is_told_why_settings_need_a_name(tg: Bot) -> None:
    reply = await say(tg, GROUP, "/alerts on", GROUP_ANONYMOUS_BOT, sender_chat=as_group(GROUP))
    assert "Remain anonymous" in reply.params["text"]
    assert await Subscription.all().count() == 0
    assert not any(c.method == "getChatMember" for c in tg.server.calls)


async def test_anonymous_senders_get_one_watch_list_per_chat(tg: Bot) -> None:
    await say(tg, GROUP, "/watch vibe coding", GROUP_ANONYMOUS_BOT, sender_chat=as_group(GROUP))
    reply = await say(
        tg, OTHER_GROUP, "/watchlist", GROUP_ANONYMOUS_BOT, sender_chat=as_group(OTHER_GROUP)
    )
    assert "vibe coding" not in reply.params["text"]  # another group's anonymous admins
    channel = {"id": -100777, "type": "channel", "title": "Posts"}
    await say(tg, OTHER_GROUP, "/watch $GHOST", CHANNEL_BOT, sender_chat=channel)
    owners = {(item.user_id, item.value) for item in await WatchItem.all()}
    assert owners == {(str(GROUP), "vibe code"), ("-100777", "GHOST")}
    assert not any(
        item.user_id in (str(GROUP_ANONYMOUS_BOT), str(CHANNEL_BOT))
        for item in await WatchItem.all()
    )


async def test_operator_command_and_a_direct_message_cannot_change_leaders(tg: Bot) -> None:
    tg.service.operators = frozenset({f"telegram:{FAN}"})
    reply = await say(tg, MEMBER, "/leaders global add @pushy", MEMBER)
    assert "operators" in reply.params["text"]
    reply = await say(tg, MEMBER, "/leaders add @pushy", MEMBER)
    assert "groups and servers" in reply.params["text"]
    reply = await say(tg, FAN, "/leaders global add @NewSeer", FAN)
    assert "every chat" in reply.params["text"]
    reply = await say(tg, FAN, "/leaders global promote @x", FAN)
    assert "Usage: /leaders global" in reply.params["text"]
    listed = await tg.service.leaders(Caller("telegram", str(GROUP), "1", is_admin=False))
    assert "newseer" in [e.handle for e in listed.global_leaders]
    assert "pushy" not in [e.handle for e in listed.global_leaders]
