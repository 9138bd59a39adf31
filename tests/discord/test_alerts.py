"""Alerts end to end: a replayed narrative crosses the threshold; the dispatcher delivers through
the real discord.py client to the fake Discord (channel embed, DM, 429, 403)."""

from __future__ import annotations

import time

from bot.alerts.dispatcher import AlertDispatcher
from bot.discord.bot import DiscordFrontend
from bot.metrics import RATE_LIMIT_WAITS
from storage.models import Alert, Narrative, Subscription
from tests.discord.conftest import (
    Tick,
    World,
    channel_option,
    replay_with_alerts,
    subcommand,
)
from tests.fakes.discord_server import Recorded

EPHEMERAL = 64


async def set_alert_channel(world: World) -> None:
    options, resolved = channel_option(world.alerts)
    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
    )
    assert "Alerts will be posted" in callback.json["data"]["content"]


async def watch(world: World, item: str) -> None:
    options = subcommand("add", [{"name": "item", "type": 3, "value": item}])
    await world.fake.slash(world.guild, world.general, world.watcher, "watch", options)


def dm_channel_of(world: World, user_id: str) -> str:
    opened = world.fake.find(
        "POST", "/users/@me/channels", lambda r: str(r.json["recipient_id"]) == user_id
    )
    assert opened, "no DM channel was opened"
    return next(
        c.id for c in world.fake.channels.values() if c.recipient and c.recipient.id == user_id
    )


async def test_one_embed_in_the_channel_and_one_dm_to_the_watcher(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    await set_alert_channel(world)
    await watch(world, "summoning ghosts")

    sent = await replay_with_alerts(ghost_ticks, dispatcher)
    assert sent == 2

    posts = world.fake.channel_messages(world.alerts.id)
    assert len(posts) == 1, [p.json for p in posts]
    body = posts[0].json
    (embed,) = body["embeds"]
    row = await Narrative.get(key="summon ghost")  # the replay's one narrative
    # the label at alert time (it may be refined by later ticks)
    assert embed["title"].startswith("👻 Emerging narrative: ") and "ghosts" in embed["title"]
    assert embed["description"].startswith("**Score ")
    assert any("@karpathy" in f["value"] for f in embed["fields"])
    buttons = body["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == [f"gw:d:{row.id}", f"gw:w:{row.id}"]
    assert [b["label"] for b in buttons] == ["Details", "Watch"]
    assert body["allowed_mentions"] == {"parse": []}
    assert not world.fake.channel_messages(world.general.id)

    dm = world.fake.channel_messages(dm_channel_of(world, world.watcher_user.id))
    assert len(dm) == 1
    assert "you watch phrase" in dm[0].json["embeds"][0]["description"]

    alerts = await Alert.all()
    assert sorted((a.direct, a.status) for a in alerts) == [(False, "sent"), (True, "sent")]
    assert {a.message_id for a in alerts} == {
        _message_id(world, posts[0]),
        _message_id(world, dm[0]),
    }

    # A replay of the same ticks (e.g. after a restart) sends nothing again.
    assert await replay_with_alerts(ghost_ticks, dispatcher) == 0
    assert len(world.fake.channel_messages(world.alerts.id)) == 1


def _message_id(world: World, posted: Recorded) -> str:
    """The id the fake gave the message created by this request."""
    for message in world.fake.messages.values():
        if message["embeds"] == posted.json.get("embeds") and message["channel_id"] in posted.path:
            return str(message["id"])
    raise AssertionError("message not stored")


async def test_alert_buttons_open_details_and_watch_after_a_restart(
    frontend: DiscordFrontend,
    world: World,
    dispatcher: AlertDispatcher,
    ghost_ticks: list[Tick],
    service,
) -> None:
    from bot.discord.bot import start_discord
    from tests.discord.conftest import discord_settings

    await set_alert_channel(world)
    await replay_with_alerts(ghost_ticks, dispatcher)
    (posted,) = world.fake.channel_messages(world.alerts.id)
    message = world.fake.messages[_message_id(world, posted)]
    details, watch_button = (b["custom_id"] for b in posted.json["components"][0]["components"])

    # A new bot process: the persistent buttons still work.
    await frontend.stop()
    restarted = await start_discord(discord_settings(world.fake), service, guild_ready_timeout=0.05)
    try:
        await restarted.wait_ready(10)
        click = await world.fake.click(world.guild, world.alerts, world.member, message, details)
        assert click.json["type"] == 5 and click.json["data"]["flags"] & EPHEMERAL
        edit = await world.fake.wait_followup(click)
        row = await Narrative.get(key="summon ghost")  # the replay's one narrative
        assert edit.json["embeds"][0]["title"] == row.label
        assert edit.files[0][0] == "chart.png"

        click = await world.fake.click(
            world.guild, world.alerts, world.member, message, watch_button
        )
        assert click.json["data"]["flags"] & EPHEMERAL
        assert "Watching" in click.json["data"]["content"]
        callback = await world.fake.slash(
            world.guild, world.general, world.member, "watch", subcommand("list")
        )
        assert row.label in callback.json["data"]["embeds"][0]["description"]
    finally:
        await restarted.stop()


async def test_rate_limit_on_channel_posts_is_waited_out(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    await set_alert_channel(world)
    world.fake.rate_limit_channel(world.alerts.id, retry_after=0.6, times=1)
    waits = RATE_LIMIT_WAITS.labels("discord")._value.get()
    started = time.monotonic()
    assert await replay_with_alerts(ghost_ticks, dispatcher) == 1
    attempts = world.fake.find("POST", rf"/channels/{world.alerts.id}/messages")
    assert [a.status for a in attempts] == [429, 200]
    assert time.monotonic() - started >= 0.6
    (alert,) = await Alert.all()
    assert alert.status == "sent" and alert.attempts == 1  # discord.py waited, not the dispatcher
    assert RATE_LIMIT_WAITS.labels("discord")._value.get() == waits + 1


async def test_lost_permission_disables_the_channel_and_tells_the_admin(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    await set_alert_channel(world)
    world.fake.forbid_channel(world.alerts.id)
    assert await replay_with_alerts(ghost_ticks, dispatcher) == 0
    attempts = world.fake.find("POST", rf"/channels/{world.alerts.id}/messages")
    assert [a.status for a in attempts] == [403]  # tried once, not retried forever
    sub = await Subscription.get(platform="discord", chat_id=world.alerts.id)
    assert not sub.enabled and sub.disabled_reason and "50013" in sub.disabled_reason

    # a member's command carries no notice
    member_call = await world.fake.slash(world.guild, world.general, world.member, "status")
    # the admin's next command does, privately, once
    admin_call = await world.fake.slash(world.guild, world.general, world.admin, "status")
    notice = await world.fake.wait_for(
        "POST",
        rf"/webhooks/{world.fake.application_id}/.*",
        lambda r: "stopped" in (r.json or {}).get("content", ""),
    )
    assert len(notice) == 1
    assert notice[0].json["flags"] & EPHEMERAL
    assert f"<#{world.alerts.id}>" in notice[0].json["content"]
    assert "can no longer post" in notice[0].json["content"]
    assert admin_call.path.split("/")[3] in notice[0].path
    assert not world.fake.followups(member_call)
    await world.fake.slash(world.guild, world.general, world.admin, "status")
    assert len(world.fake.find("POST", r"/webhooks/.*")) == 1

    # /alerts status explains why; /alerts channel again re-enables
    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "alerts", subcommand("status")
    )
    assert "can no longer post" in callback.json["data"]["embeds"][0]["description"]
    await set_alert_channel(world)
    await sub.refresh_from_db()
    assert sub.enabled and sub.disabled_reason is None


async def test_closed_dms_are_not_retried_and_the_user_is_told(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    await watch(world, "summoning ghosts")
    world.fake.blocked_dms.add(world.watcher_user.id)
    assert await replay_with_alerts(ghost_ticks, dispatcher) == 0
    (alert,) = await Alert.all()
    assert alert.status == "failed" and "dms_closed" in (alert.error or "")
    callback = await world.fake.slash(
        world.guild, world.general, world.watcher, "watch", subcommand("list")
    )
    fields = callback.json["data"]["embeds"][0].get("fields", [])
    assert any("allow DMs" in f["value"] for f in fields)


async def test_no_message_can_ping_anyone(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    await set_alert_channel(world)
    await watch(world, "summoning ghosts @everyone <@&123456789012345678> <@123456789012345679>")
    await replay_with_alerts(ghost_ticks, dispatcher)
    for name in ("ghosts", "status"):
        await world.fake.slash(world.guild, world.general, world.member, name)
    bodies = world.fake.outgoing_messages()
    assert len(bodies) >= 4
    for body in bodies:
        assert body.get("allowed_mentions") == {"parse": []}, body
    watched = [b for b in bodies if "everyone" in (b.get("content") or "")]
    assert watched
    for body in watched:  # defused in the text too, for clients that render it
        assert "@\u200beveryone" in body["content"]
        assert "<@\u200b&123456789012345678>" in body["content"]
        assert "<@\u200b123456789012345679>" in body["content"]


async def test_a_japanese_admin_gets_japanese_alerts(
    frontend: DiscordFrontend, world: World, dispatcher: AlertDispatcher, ghost_ticks: list[Tick]
) -> None:
    options, resolved = channel_option(world.alerts)
    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
        locale="ja",
    )
    assert "に投稿します" in callback.json["data"]["content"]
    await replay_with_alerts(ghost_ticks, dispatcher)
    (posted,) = world.fake.channel_messages(world.alerts.id)
    assert posted.json["embeds"][0]["title"].startswith("👻 新しいナラティブ: ")
    labels = [b["label"] for b in posted.json["components"][0]["components"]]
    assert labels == ["詳細", "ウォッチ"]
