"""SettingsService on real storage: alert settings, a server's alert channel, follow lists,
operators' global leaders and watch lists, with their limits and who may change them."""

from __future__ import annotations

import asyncio

import pytest

from bot.leaders import DEFAULT_LEADERS
from bot.service.errors import (
    BadArgument,
    FollowsInGroupsOnly,
    LeaderConfigured,
    LeaderLimitReached,
    NoAlertChannel,
    NotAdmin,
    NotOperator,
    NotWatching,
    UnknownLeader,
    WatchItemTooLong,
    WatchLimitReached,
)
from bot.service.settings import SettingsService
from bot.service.types import Caller, SettingsScope
from storage import leaders as leader_store
from storage import subscriptions as sub_store
from storage.models import Leader


def user(uid: str = "u1", platform: str = "telegram") -> Caller:
    return Caller(platform, uid, uid, is_admin=True, private=True)


def group(admin: bool, chat: str = "-100") -> Caller:
    return Caller("telegram", chat, "u9", is_admin=admin, language="ja")


async def test_watchlist_limits_and_kinds(storage: str) -> None:
    service = SettingsService(watch_limit=3)
    me = user()
    added = await service.watch(me, "Vibe Coding")
    assert (added.entry.kind, added.entry.value, added.added, added.count) == (
        "phrase",
        "vibe code",
        True,
        1,
    )
    assert (await service.watch(me, "@Karpathy")).entry == type(added.entry)(
        "leader", "karpathy", "@Karpathy"
    )
    assert (await service.watch(me, "$ghost")).entry.value == "GHOST"
    again = await service.watch(me, "vibe   coding")
    assert again.added is False and again.count == 3
    with pytest.raises(WatchLimitReached) as full:
        await service.watch(me, "another phrase")
    assert full.value.params == {"limit": 3}
    assert len((await service.watchlist(user("u2"))).items) == 0  # per user
    assert len((await service.watchlist(user("u1", "discord"))).items) == 0  # per platform
    with pytest.raises(WatchItemTooLong):
        await service.watch(user("u2"), "x" * 101)
    with pytest.raises(BadArgument):
        await service.watch(user("u2"), "$not a ticker")
    removed = await service.unwatch(me, "@karpathy")
    assert removed.removed and removed.entry.kind == "leader"
    with pytest.raises(NotWatching):
        await service.unwatch(me, "@karpathy")
    assert [e.display for e in (await service.watchlist(me)).items] == ["Vibe Coding", "$GHOST"]


async def test_chat_settings_need_an_admin(storage: str) -> None:
    service = SettingsService(default_threshold=60)
    fresh = await service.subscription(group(False))
    assert not fresh.subscribed and fresh.threshold == 60 and fresh.language == "ja"
    for change in (
        service.set_alerts(group(False), True),
        service.set_threshold(group(False), 10),
        service.set_language(group(False), "en"),
        service.quiet(group(False), "@x"),
        service.add_leader(group(False), "@x"),
        service.remove_leader(group(False), "@x"),
    ):
        with pytest.raises(NotAdmin):
            await change
    assert not (await service.subscription(group(False))).subscribed
    on = await service.set_alerts(group(True), True)
    assert on.enabled and on.language == "ja"
    for bad in ("abc", -1, 101, "nan", ""):
        with pytest.raises(BadArgument):
            await service.set_threshold(group(True), bad)
    assert (await service.set_threshold(group(True), "42.5")).threshold == 42.5
    with pytest.raises(BadArgument):
        await service.set_language(group(True), "fr")
    muted = await service.quiet(group(True), "@Karpathy")
    muted = await service.quiet(group(True), "Vibe Coding")
    assert muted.quiet_leaders == ("karpathy",) and muted.quiet_phrases == ("vibe code",)
    unmuted = await service.quiet(group(True), "vibe coding", mute=False)
    assert unmuted.quiet_phrases == ()
    off = await service.set_alerts(group(True), False)
    assert not off.enabled and off.threshold == 42.5  # settings survive switching off


def server(channel: str, admin: bool = True, guild: str = "g1") -> Caller:
    """A Discord caller in a server: settings are the server's, whichever channel asks."""
    return Caller("discord", channel, "u9", admin, guild_id=guild, scope=SettingsScope.GUILD)


async def test_a_server_keeps_one_alert_channel_and_one_follow_list(storage: str) -> None:
    service = SettingsService(default_threshold=60)
    assert not (await service.subscription(server("c1"))).subscribed
    for change in (
        service.set_threshold(server("c1"), 50),
        service.set_alerts(server("c1"), False),
        service.quiet(server("c1"), "@x"),
    ):
        with pytest.raises(NoAlertChannel):
            await change
    with pytest.raises(NotAdmin):
        await service.set_alert_channel(server("c1", admin=False), "c2")
    await service.set_alert_channel(server("c1"), "c2")
    # Asked from any channel of the server, the settings are the alert channel's.
    changed = await service.set_threshold(server("c3"), 50)
    assert changed.chat_id == "c2" and changed.threshold == 50
    status = await service.subscription(server("c1"))
    assert status.subscribed and status.chat_id == "c2" and status.enabled
    moved = await service.set_alert_channel(server("c1"), "c4")
    assert moved.chat_id == "c4" and moved.enabled
    assert not (await sub_store.get("discord", "c2")).enabled
    assert (await service.subscription(server("c3"))).chat_id == "c4"
    # One follow list for the server, kept under its id rather than a channel's.
    assert (await service.add_leader(server("c1"), "@NewVoice")).changed
    listed = await service.leaders(server("c3"))
    assert [e.handle for e in listed.chat_leaders] == ["newvoice"]
    assert [r.added_in for r in await Leader.filter(handle="newvoice")] == ["g1"]
    assert (await service.leaders(server("c1", guild="g2"))).chat_leaders == ()
    # Delivery failed in the alert channel: the server's admins hear of it.
    assert await service.unreachable_channels(server("c1")) == ()
    await sub_store.disable("discord", "c4", "missing_access")
    [gone] = await service.unreachable_channels(server("c1"))
    assert gone.chat_id == "c4" and gone.disabled_reason == "missing_access"
    assert await service.unreachable_channels(Caller("discord", "dm", "u9", True)) == ()


def test_a_server_wide_caller_names_its_server() -> None:
    with pytest.raises(ValueError, match="guild_id"):
        Caller("discord", "c1", "u9", True, scope=SettingsScope.GUILD)
    assert server("c1").scope_id == "g1"
    assert group(True).scope_id == "-100"


async def test_leaders_global_and_per_chat(storage: str) -> None:
    changes: list[str] = []
    service = SettingsService(on_leaders_changed=lambda: changes.append("changed"))
    assert await service.seed_leaders() == len(DEFAULT_LEADERS)
    assert await service.seed_leaders() == 0  # idempotent at every start
    listed = await service.leaders(group(True, "-1"))
    assert "karpathy" in [e.handle for e in listed.global_leaders]
    assert listed.chat_leaders == ()
    assert (await service.add_leader(group(True, "-1"), "@NewVoice")).changed
    assert not (await service.add_leader(group(True, "-1"), "newvoice")).changed
    assert not (await service.add_leader(group(True, "-1"), "@karpathy")).changed  # global
    assert (await service.add_leader(group(True, "-1"), "Reddit:Spez")).handle == "reddit:spez"
    assert [e.handle for e in (await service.leaders(group(True, "-1"))).chat_leaders] == [
        "newvoice",
        "reddit:spez",
    ]
    assert (await service.leaders(group(True, "-2"))).chat_leaders == ()
    # A chat's follow list is not the global set: the engine is never told.
    assert changes == []
    assert not any("newvoice" in i for i in await leader_store.global_ids())
    with pytest.raises(UnknownLeader):
        await service.remove_leader(group(True, "-2"), "@newvoice")
    for bad in ("@<b>", "reddit:", "no spaces", "x:a:b", "@" * 3):
        with pytest.raises(BadArgument):
            await service.add_leader(group(True, "-1"), bad)
    assert (await service.remove_leader(group(True, "-1"), "@newvoice")).changed


async def test_a_private_chat_cannot_follow_or_change_global_leaders(storage: str) -> None:
    service = SettingsService(operators=["telegram:7"])
    dm = Caller("telegram", "5", "5", is_admin=True, private=True)
    with pytest.raises(FollowsInGroupsOnly):
        await service.add_leader(dm, "@someone")
    with pytest.raises(NotOperator):
        await service.add_global_leader(dm, "@someone")
    assert await Leader.all().count() == 0


async def test_only_operators_change_the_global_set(storage: str) -> None:
    changes: list[str] = []
    service = SettingsService(
        operators=["telegram:7"], on_leaders_changed=lambda: changes.append("changed")
    )
    await service.seed_leaders()
    chat_admin = Caller("telegram", "-1", "8", is_admin=True)
    with pytest.raises(NotOperator):
        await service.add_global_leader(chat_admin, "@pushy")
    operator = Caller("telegram", "-1", "7", is_admin=False)
    assert (await service.add_global_leader(operator, "@NewSeer")).changed
    assert not (await service.add_global_leader(operator, "newseer")).changed
    assert (await service.add_global_leader(operator, "hackernews:pg")).changed
    ids = await leader_store.global_ids()
    assert {"x:newseer", "bluesky:newseer", "hackernews:pg"} <= set(ids)
    assert ids.index("x:karpathy") < ids.index("x:newseer")  # shipped leaders come first
    assert changes == ["changed", "changed"]
    with pytest.raises(LeaderConfigured):  # shipped: changed in configuration only
        await service.remove_global_leader(operator, "@karpathy")
    with pytest.raises(UnknownLeader):
        await service.remove_global_leader(operator, "@nobody")
    assert (await service.remove_global_leader(operator, "@newseer")).changed
    assert "x:newseer" not in await leader_store.global_ids()
    # The same id on Discord is another user: not an operator.
    with pytest.raises(NotOperator):
        await service.add_global_leader(Caller("discord", "1", "7", is_admin=True), "@x")


async def test_chat_follow_limit_holds_under_concurrent_adds(storage: str) -> None:
    service = SettingsService(chat_leader_limit=3)
    admin = group(True, "-9")
    results = await asyncio.gather(
        *(service.add_leader(admin, f"@voice{i}") for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, LeaderLimitReached) for r in results) == 5
    assert len((await service.leaders(admin)).chat_leaders) == 3


async def test_watch_limit_holds_under_concurrent_adds(storage: str) -> None:
    service = SettingsService(watch_limit=3)
    me = Caller("telegram", "11", "11", is_admin=True, private=True)
    results = await asyncio.gather(
        *(service.watch(me, f"@voice{i}") for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, WatchLimitReached) for r in results) == 5
    assert len((await service.watchlist(me)).items) == 3
