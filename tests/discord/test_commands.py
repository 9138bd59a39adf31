"""Slash commands end to end: the real discord.py bot, the fake Discord, a real database."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.discord.bot import DiscordFrontend
from bot.service.narratives import NarrativeService
from storage import leaders as leader_store
from storage.models import Narrative, Subscription
from tests.discord.conftest import World, channel_option, persist, subcommand

EPHEMERAL = 64


async def test_commands_are_synced_with_japanese_names_and_admin_defaults(
    frontend: DiscordFrontend, world: World
) -> None:
    synced = {c["name"]: c for c in world.fake.commands[None]}
    assert {"ghosts", "narrative", "watch", "alerts", "leaders", "status"} <= set(synced)
    assert synced["ghosts"]["name_localizations"]["ja"] == "ゴースト"
    assert synced["ghosts"]["description_localizations"]["ja"] == "いま広がり始めたナラティブ"
    alerts = synced["alerts"]
    assert int(alerts["default_member_permissions"]) == 1 << 5  # Manage Server
    assert alerts["contexts"] == [0]  # guild only
    subs = {o["name"] for o in alerts["options"]}
    assert subs == {"channel", "threshold", "off", "status", "quiet", "unquiet"}
    operator = synced["operator"]
    assert {o["name"] for o in operator["options"]} == {"leader-add", "leader-remove"}


async def test_ghosts_lists_narratives_with_sparkline_and_a_menu(
    frontend: DiscordFrontend, world: World, ghost_ticks
) -> None:
    await persist(ghost_ticks)
    row = await Narrative.get(key="summon ghost")  # the replay's one narrative
    callback = await world.fake.slash(world.guild, world.general, world.member, "ghosts")
    assert callback.json["type"] == 4
    data = callback.json["data"]
    (embed,) = data["embeds"]
    assert embed["title"].startswith("Emerging narratives")
    field = embed["fields"][0]
    assert row.label in field["name"]
    assert re.search(r"`[▁▂▃▄▅▆▇█]+`", field["value"]), field["value"]
    assert "karpathy" in field["value"]
    (menu,) = data["components"][0]["components"]
    assert menu["custom_id"] == "gw:o"
    assert str(row.id) in [o["value"] for o in menu["options"]]

    # choosing it in the menu opens the breakdown, for the chooser only
    message = world.fake.messages[_response_id(world, callback)]
    click = await world.fake.click(
        world.guild,
        world.general,
        world.member,
        message,
        "gw:o",
        component_type=3,
        values=[str(row.id)],
    )
    assert click.json["type"] == 5 and click.json["data"]["flags"] & EPHEMERAL
    edit = await world.fake.wait_followup(click)
    assert edit.json["embeds"][0]["title"] == row.label
    assert edit.files and edit.files[0][2].startswith(b"\x89PNG")


def _response_id(world: World, callback) -> str:
    """The id of the message the fake created for an interaction response."""
    token = callback.path.split("/")[3]
    return world.fake._interactions[token]["_original"]


async def test_ghosts_in_japanese_for_a_japanese_client(
    frontend: DiscordFrontend, world: World, ghost_ticks
) -> None:
    await persist(ghost_ticks)
    callback = await world.fake.slash(
        world.guild, world.general, world.member, "ghosts", locale="ja"
    )
    assert callback.json["data"]["embeds"][0]["title"].startswith("広がり始めたナラティブ")


async def test_narrative_sends_breakdown_and_chart(
    frontend: DiscordFrontend, world: World, ghost_ticks
) -> None:
    await persist(ghost_ticks)
    row = await Narrative.get(key="summon ghost")  # the replay's one narrative
    options = [{"name": "phrase", "type": 3, "value": "Summoning Ghosts"}]
    callback = await world.fake.slash(
        world.guild, world.general, world.member, "narrative", options
    )
    assert callback.json["type"] == 5  # deferred while the chart renders
    edit = await world.fake.wait_followup(callback)
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    (embed,) = edit.json["embeds"]
    assert embed["title"] == row.label
    assert embed["image"]["url"] == "attachment://chart.png"
    names = [f["name"] for f in embed["fields"]]
    assert "Why" in names and "Phrases" in names
    why = embed["fields"][names.index("Why")]["value"]
    assert "@karpathy" in why  # the seeding leader is explained
    (chart,) = edit.files
    assert chart[0] == "chart.png" and chart[2].startswith(b"\x89PNG")


async def test_narrative_unknown_phrase_says_so(
    frontend: DiscordFrontend, world: World, ghost_ticks
) -> None:
    await persist(ghost_ticks)
    options = [{"name": "phrase", "type": 3, "value": "no such narrative here"}]
    callback = await world.fake.slash(
        world.guild, world.general, world.member, "narrative", options
    )
    edit = await world.fake.wait_followup(callback)
    assert "No tracked narrative matches" in edit.json["content"]
    assert "no such narrative here" in edit.json["content"]


async def test_narrative_autocomplete_offers_tracked_narratives(
    frontend: DiscordFrontend, world: World, ghost_ticks
) -> None:
    await persist(ghost_ticks)
    row = await Narrative.get(key="summon ghost")  # the replay's one narrative
    options = [{"name": "phrase", "type": 3, "value": "summ", "focused": True}]
    callback = await world.fake.autocomplete(
        world.guild, world.general, world.member, "narrative", options
    )
    assert callback.json["type"] == 8
    choices = callback.json["data"]["choices"]
    assert {"name": row.label, "value": row.label} in choices
    options = [{"name": "phrase", "type": 3, "value": "zzzz-nothing", "focused": True}]
    callback = await world.fake.autocomplete(
        world.guild, world.general, world.member, "narrative", options
    )
    assert callback.json["data"]["choices"] == []


async def test_member_without_manage_server_is_refused(
    frontend: DiscordFrontend, world: World
) -> None:
    options, resolved = channel_option(world.alerts)
    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.member,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
    )
    data = callback.json["data"]
    assert data["flags"] & EPHEMERAL
    assert "Manage Server" in data["content"]
    assert await Subscription.all().count() == 0

    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.member,
        "leaders",
        subcommand("add", [{"name": "handle", "type": 3, "value": "@someone"}]),
    )
    assert "Manage Server" in callback.json["data"]["content"]


async def test_admin_sets_channel_threshold_and_reads_status(
    frontend: DiscordFrontend, world: World
) -> None:
    options, resolved = channel_option(world.alerts)
    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
    )
    assert f"<#{world.alerts.id}>" in callback.json["data"]["content"]
    sub = await Subscription.get(platform="discord", chat_id=world.alerts.id)
    assert sub.enabled and sub.guild_id == world.guild.id

    callback = await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("threshold", [{"name": "score", "type": 10, "value": 72.5}]),
    )
    assert "72" in callback.json["data"]["content"]
    await sub.refresh_from_db()
    assert sub.threshold == 72.5

    # moving alerts to another channel switches the old one off
    options, resolved = channel_option(world.general)
    await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
    )
    await sub.refresh_from_db()
    assert not sub.enabled
    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "alerts", subcommand("status")
    )
    (embed,) = callback.json["data"]["embeds"]
    assert f"<#{world.general.id}>" in embed["description"]

    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "alerts", subcommand("off")
    )
    assert "off" in callback.json["data"]["content"]
    assert not await Subscription.filter(enabled=True).exists()


async def test_admin_mutes_and_unmutes_in_the_servers_alert_channel(
    frontend: DiscordFrontend, world: World
) -> None:
    def item(value: str) -> list[dict[str, Any]]:
        return [{"name": "item", "type": 3, "value": value}]

    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "alerts", subcommand("quiet", item("@x"))
    )
    assert "No alert channel" in callback.json["data"]["content"]
    options, resolved = channel_option(world.alerts)
    await world.fake.slash(
        world.guild,
        world.general,
        world.admin,
        "alerts",
        subcommand("channel", options),
        resolved=resolved,
    )
    for value in ("@Karpathy", "Vibe Coding"):
        callback = await world.fake.slash(
            world.guild, world.general, world.admin, "alerts", subcommand("quiet", item(value))
        )
        assert callback.json["data"]["flags"] & EPHEMERAL
    sub = await Subscription.get(platform="discord", chat_id=world.alerts.id)
    assert sub.quiet_leaders == ["karpathy"] and sub.quiet_phrases == ["vibe code"]
    callback = await world.fake.slash(
        world.guild, world.general, world.member, "alerts", subcommand("quiet", item("@y"))
    )
    assert "Manage Server" in callback.json["data"]["content"]
    await world.fake.slash(
        world.guild, world.general, world.admin, "alerts", subcommand("unquiet", item("@karpathy"))
    )
    await sub.refresh_from_db()
    assert sub.quiet_leaders == [] and sub.quiet_phrases == ["vibe code"]


async def test_watch_add_list_remove_are_private(frontend: DiscordFrontend, world: World) -> None:
    fake, who = world.fake, world.watcher
    item = [{"name": "item", "type": 3, "value": "summoning ghosts"}]
    callback = await fake.slash(world.guild, world.general, who, "watch", subcommand("add", item))
    data = callback.json["data"]
    assert data["flags"] & EPHEMERAL
    assert "summoning ghosts" in data["content"] and "direct message" in data["content"]

    callback = await fake.slash(world.guild, world.general, who, "watch", subcommand("list"))
    assert callback.json["data"]["flags"] & EPHEMERAL
    assert "summoning ghosts" in callback.json["data"]["embeds"][0]["description"]

    focused = [{"name": "item", "type": 3, "value": "ghost", "focused": True}]
    callback = await fake.autocomplete(
        world.guild, world.general, who, "watch", subcommand("remove", focused)
    )
    assert callback.json["data"]["choices"] == [
        {"name": "summoning ghosts", "value": "summoning ghosts"}
    ]

    callback = await fake.slash(
        world.guild, world.general, who, "watch", subcommand("remove", item)
    )
    assert "Stopped watching" in callback.json["data"]["content"]
    callback = await fake.slash(
        world.guild, world.general, who, "watch", subcommand("remove", item)
    )
    assert "is not on your watch list" in callback.json["data"]["content"]


async def test_bad_input_gets_a_usage_line(frontend: DiscordFrontend, world: World) -> None:
    bad = [{"name": "handle", "type": 3, "value": "not a handle!"}]
    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "leaders", subcommand("add", bad)
    )
    content = callback.json["data"]["content"]
    assert callback.json["data"]["flags"] & EPHEMERAL
    assert "Usage: /leaders" in content


async def test_status_and_leaders_answer(frontend: DiscordFrontend, world: World) -> None:
    callback = await world.fake.slash(world.guild, world.general, world.member, "status")
    embed = callback.json["data"]["embeds"][0]
    assert embed["title"] == "ghostwatch status"
    assert "Database: ok" in embed["description"]

    add = [{"name": "handle", "type": 3, "value": "@SomeLeader"}]
    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "leaders", subcommand("add", add)
    )
    assert "Added @someleader" in callback.json["data"]["content"]
    callback = await world.fake.slash(
        world.guild, world.general, world.member, "leaders", subcommand("list")
    )
    chat = callback.json["data"]["embeds"][0]["fields"][0]
    assert "someleader" in chat["value"]


async def test_watch_works_in_direct_messages_but_alerts_need_a_server(
    frontend: DiscordFrontend, world: World
) -> None:
    user = world.watcher_user
    item = [{"name": "item", "type": 3, "value": "$GHOST"}]
    callback = await world.fake.slash_in_dm(user, "watch", subcommand("add", item))
    assert "token “$GHOST”" in callback.json["data"]["content"]
    callback = await world.fake.slash_in_dm(user, "watch", subcommand("list"))
    assert "$GHOST" in callback.json["data"]["embeds"][0]["description"]
    callback = await world.fake.slash_in_dm(user, "alerts", subcommand("status"))
    assert callback.json["data"]["content"] == "Use this command in a server."


async def test_ghosts_after_the_stream_went_quiet_lists_the_recent_alerts(
    frontend: DiscordFrontend, world: World, ghost_ticks, service: NarrativeService
) -> None:
    await persist(ghost_ticks)
    row = await Narrative.get(key="summon ghost")  # the replay's one narrative
    end = ghost_ticks[-1].at + timedelta(hours=7)
    service.clock = lambda: end  # seven quiet hours later
    callback = await world.fake.slash(world.guild, world.general, world.member, "ghosts")
    (embed,) = callback.json["data"]["embeds"]
    assert "Nothing is live right now." in embed["description"]
    assert "Alerted in the last 24 h:" in embed["description"]
    [field] = embed["fields"]
    assert field["name"] == row.label
    assert re.fullmatch(r"peak \d+/100 · cooled 7\.\d h ago", field["value"]), field["value"]


async def test_only_an_operator_changes_the_global_leaders_even_from_a_dm(
    frontend: DiscordFrontend, world: World, service: NarrativeService
) -> None:
    handle = [{"name": "handle", "type": 3, "value": "@NewSeer"}]
    # A server admin is no operator.
    callback = await world.fake.slash(
        world.guild, world.general, world.admin, "operator", subcommand("leader-add", handle)
    )
    assert "operators" in callback.json["data"]["content"]
    assert callback.json["data"]["flags"] & EPHEMERAL
    # A server's /leaders add is its own follow list, not the global set.
    await world.fake.slash(
        world.guild, world.general, world.admin, "leaders", subcommand("add", handle)
    )
    user = world.watcher_user
    service.operators = frozenset({f"discord:{user.id}"})
    callback = await world.fake.slash_in_dm(user, "operator", subcommand("leader-add", handle))
    assert "every chat" in callback.json["data"]["content"]
    global_ids = await leader_store.global_ids()
    assert "x:newseer" in global_ids
    follows = await leader_store.chat_ids("discord", world.guild.id)
    assert follows == frozenset({"x:newseer", "bluesky:newseer"})
    callback = await world.fake.slash_in_dm(user, "operator", subcommand("leader-remove", handle))
    assert "Removed @newseer" in callback.json["data"]["content"]
    assert "x:newseer" not in await leader_store.global_ids()
