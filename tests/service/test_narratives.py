"""NarrativeService on real storage, with narrative rows stored as the pipeline stores them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

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
    UnknownNarrative,
    WatchItemTooLong,
    WatchLimitReached,
)
from bot.service.narratives import NarrativeService
from bot.service.rows import trend
from bot.service.types import Caller, SettingsScope, SourceHealth
from bot.sources.health import HealthRegistry
from storage import leaders as leader_store
from storage import subscriptions as sub_store
from storage.models import Alert, Leader, Narrative, ScorePoint, TokenLaunch, TokenMatch
from tests.builders import AT, SEED_URL, fired


class Clock:
    def __init__(self) -> None:
        self.now = AT

    def __call__(self) -> datetime:
        return self.now


Ghost = tuple[NarrativeService, Clock, Narrative]


@pytest.fixture
async def ghost(storage: str) -> Ghost:
    clock = Clock()
    service = NarrativeService(clock=clock)
    await fired()  # half an hour of rising scores, then viral at AT
    row = await Narrative.get(key="summon ghost")
    seed_at = row.seed_post_at
    assert seed_at is not None
    for symbol, offset, liquidity in (
        ("EARLY", -600, 10.0),
        ("GHOST", 900, 5000.0),
        ("SG", 300, None),
    ):
        launch = await TokenLaunch.create(
            chain="solana",
            address=f"addr{symbol}",
            name=f"{symbol} coin",
            symbol=symbol,
            source="dexscreener",
            liquidity_usd=liquidity,
            launched_at=seed_at + timedelta(seconds=offset),
            seen_at=seed_at + timedelta(seconds=offset),
            pair_url=f"https://dexscreener.com/solana/{symbol}",
        )
        await TokenMatch.create(
            token=launch,
            narrative=row,
            similarity=90,
            after_seed=offset > 0,
            delay_seconds=offset,
            matched_at=clock.now,
        )
    return service, clock, row


def user(uid: str = "u1", platform: str = "telegram") -> Caller:
    return Caller(platform, uid, uid, is_admin=True, private=True)


def group(admin: bool, chat: str = "-100") -> Caller:
    return Caller("telegram", chat, "u9", is_admin=admin, language="ja")


async def test_ghosts_lists_the_emerging_narrative(ghost: Ghost) -> None:
    service, clock, _ = ghost
    result = await service.ghosts(timedelta(hours=6), 10)
    assert result.window_minutes == 360
    [item] = result.narratives
    assert (item.label, item.phrase, item.state) == ("summoning ghosts", "summon ghost", "viral")
    assert item.trend == "rising" and item.score >= 60
    assert item.leader == "karpathy" and item.seed_post_url == SEED_URL
    assert len(item.sparkline) >= 3 and set(item.sparkline) <= set("▁▂▃▄▅▆▇█")
    assert item.sparkline[-1] in "▆▇█"  # the newest bucket is the busiest on the ramp
    assert item.authors > 0 and len(item.sources) >= 3
    assert item.tokens.count == 3
    assert item.tokens.first_delay_seconds == 300  # earliest launch after the seed
    assert item.tokens.best is not None and item.tokens.best.symbol == "GHOST"
    clock.now += timedelta(hours=7)
    assert (await service.ghosts(timedelta(hours=6), 10)).narratives == ()


async def test_narrative_detail(ghost: Ghost) -> None:
    service, _, _ = ghost
    detail = await service.narrative("  Summoned   GHOSTS ")
    assert detail.summary.key == "summon ghost"
    keys = [r.key for r in detail.reasons]
    assert keys[0] in ("reason.velocity", "reason.new")
    assert "reason.reach" in keys and "reason.tokens" in keys
    leader = next(r for r in detail.reasons if r.key == "reason.leader")
    assert leader.params["leader"] == "karpathy"
    assert 20 * 60 <= leader.params["ago_seconds"] <= 60 * 60  # the seed came ~30 min earlier
    assert "summon ghost" in detail.phrases
    assert detail.first_post is not None and detail.first_post.url == SEED_URL
    assert detail.first_post.author == "karpathy"
    assert 1 <= len(detail.top_posts) <= 5
    assert [(t.symbol, t.after_seed) for t in detail.tokens] == [
        ("EARLY", False),
        ("SG", True),
        ("GHOST", True),
    ]
    assert detail.chart_png is not None and detail.chart_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (await service.narrative_by_ref(detail.summary.ref)).summary.key == "summon ghost"


async def test_narrative_lookup_errors(ghost: Ghost) -> None:
    service, _, _ = ghost
    with pytest.raises(UnknownNarrative):
        await service.narrative("completely unrelated words")
    with pytest.raises(BadArgument):
        await service.narrative("   ")
    with pytest.raises(BadArgument):
        await service.narrative("x" * 201)
    with pytest.raises(UnknownNarrative):
        await service.narrative_by_ref("99999")
    with pytest.raises(UnknownNarrative):
        await service.narrative_by_ref("1; DROP TABLE narratives")


async def test_autocomplete(ghost: Ghost) -> None:
    service, _, _ = ghost
    assert [c.value for c in await service.autocomplete("summ")] == ["summoning ghosts"]
    assert [c.value for c in await service.autocomplete("")] == ["summoning ghosts"]
    assert await service.autocomplete("zzz") == ()


async def test_watchlist_limits_and_kinds(storage: str) -> None:
    service = NarrativeService(watch_limit=3)
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
    service = NarrativeService(default_threshold=60)
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
    service = NarrativeService(default_threshold=60)
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
    service = NarrativeService(on_leaders_changed=lambda: changes.append("changed"))
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
    service = NarrativeService(operators=["telegram:7"])
    dm = Caller("telegram", "5", "5", is_admin=True, private=True)
    with pytest.raises(FollowsInGroupsOnly):
        await service.add_leader(dm, "@someone")
    with pytest.raises(NotOperator):
        await service.add_global_leader(dm, "@someone")
    assert await Leader.all().count() == 0


async def test_only_operators_change_the_global_set(storage: str) -> None:
    changes: list[str] = []
    service = NarrativeService(
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
    service = NarrativeService(chat_leader_limit=3)
    admin = group(True, "-9")
    results = await asyncio.gather(
        *(service.add_leader(admin, f"@voice{i}") for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, LeaderLimitReached) for r in results) == 5
    assert len((await service.leaders(admin)).chat_leaders) == 3


async def test_watch_limit_holds_under_concurrent_adds(storage: str) -> None:
    service = NarrativeService(watch_limit=3)
    me = Caller("telegram", "11", "11", is_admin=True, private=True)
    results = await asyncio.gather(
        *(service.watch(me, f"@voice{i}") for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, WatchLimitReached) for r in results) == 5
    assert len((await service.watchlist(me)).items) == 3


async def test_followed_accounts_are_marked_only_in_the_following_chat(ghost: Ghost) -> None:
    service, _, row = ghost
    row.top_posts = [
        {"author": "SomeVoice", "source": "x", "text": "t", "engagement": 3},
        {"author": "spez", "source": "hackernews", "text": "t", "engagement": 1},
    ]
    await row.save()
    here, there = group(True, "-1"), group(True, "-2")
    await service.add_leader(here, "@somevoice")
    await service.add_leader(here, "reddit:spez")  # a Reddit name: not the HN author spez
    await service.add_leader(there, "@othervoice")
    mine = (await service.ghosts(caller=here)).narratives
    assert [n.followed for n in mine] == [("somevoice",)]
    assert [n.followed for n in (await service.ghosts(caller=there)).narratives] == [()]
    assert [n.followed for n in (await service.ghosts()).narratives] == [()]
    detail = await service.narrative(row.label, here)
    assert detail.summary.followed == ("somevoice",)


async def test_status_reports_health_and_counts(ghost: Ghost) -> None:
    _, clock, row = ghost
    registry = HealthRegistry(secrets=("sekrit-token",))
    registry.success("bluesky", items=12)
    registry.failure("reddit", RuntimeError("HTTP 403 for https://reddit.com/x?token=sekrit-token"))
    registry.set_state("reddit", "open")
    service = NarrativeService(clock=clock, health=registry.snapshot)
    await Alert.create(narrative=row, episode=1, platform="telegram", target="1", score=70)
    report = await service.status()
    states = {s.name: s for s in report.sources}
    assert states["bluesky"].state == "ok" and states["bluesky"].items == 12
    assert states["reddit"].state == "down" and "sekrit" not in (states["reddit"].last_error or "")
    assert report.narratives_tracked == 1 and report.by_state == {"viral": 1}
    assert report.database_ok and report.alerts_pending == 1
    assert report.last_scan == row.updated_at

    def broken() -> list[SourceHealth]:
        raise RuntimeError("probe failed")

    assert (await NarrativeService(health=broken).status()).sources == ()


def test_trend() -> None:
    assert trend("emerging", [30, 40, 50]) == "rising"
    assert trend("viral", [80, 81, 80.5]) == "peaking"
    assert trend("viral", [90, 80, 70]) == "cooling"
    assert trend("cooling", [90, 95]) == "cooling"
    assert trend("viral", []) == "peaking"
    assert trend("viral", [75.0], [2, 5, 9]) == "rising"  # few scores: mention counts decide
    assert trend("viral", [75.0], [9, 9, 9]) == "peaking"
    assert trend("viral", [75.0], [9, 5, 3]) == "cooling"


async def test_quiet_ghosts_lists_what_alerted_in_the_last_day(ghost: Ghost) -> None:
    service, clock, row = ghost
    live = await service.ghosts(timedelta(hours=6), 10)
    assert live.narratives and live.recent == ()  # while something is live, only that
    peak = max(p.score for p in await ScorePoint.filter(narrative_id=row.id))
    last_above = await ScorePoint.filter(narrative_id=row.id, score__gte=60).order_by("-at").first()
    assert last_above is not None

    clock.now += timedelta(hours=7)
    quiet = await service.ghosts(timedelta(hours=6), 10)
    assert quiet.narratives == () and quiet.recent_hours == 24
    [item] = quiet.recent
    assert (item.label, item.ref) == ("summoning ghosts", str(row.id))
    assert item.peak_score == pytest.approx(peak) and item.peak_score >= 60
    assert item.cooled_at == last_above.at
    assert timedelta(hours=7) <= clock.now - item.cooled_at < timedelta(hours=8)

    clock.now += timedelta(hours=18)  # the alert is now more than a day old
    assert (await service.ghosts(timedelta(hours=6), 10)).recent == ()


async def test_narratives_that_never_alerted_are_not_listed_as_recent(ghost: Ghost) -> None:
    service, clock, row = ghost
    await Narrative.filter(id=row.id).update(episode=0)
    clock.now += timedelta(hours=7)
    assert (await service.ghosts(timedelta(hours=6), 10)).recent == ()


async def test_alert_cards_and_summaries_carry_the_joined_forms(ghost: Ghost) -> None:
    from bot.render.alert import alert_text

    service, _, row = ghost
    await Narrative.filter(id=row.id).update(phrases=[*row.phrases, "幽霊を召喚"])
    card = await service.alert_card(row.id)
    assert "幽霊を召喚" in card.phrases
    assert alert_text(card, "en").startswith("👻 Emerging narrative: summoning ghosts · 幽霊を召喚")
    [item] = (await service.ghosts(timedelta(hours=6), 10)).narratives
    assert "幽霊を召喚" in item.phrases


async def test_detail_and_ghosts_read_only_what_they_show(
    ghost: Ghost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import narrative_queries as nq

    service, clock, row = ghost
    # Two days of 30 s ticks behind the narrative: what a long-running bot has.
    base = clock.now - timedelta(hours=47)
    await ScorePoint.bulk_create(
        [
            ScorePoint(
                narrative_id=row.id,
                at=base + timedelta(seconds=30 * i),
                score=i % 90,
                mentions=i % 40,
                authors=3,
            )
            for i in range(5000)
        ]
    )
    calls: list[str] = []
    real_points, real_scores = nq.chart_points, nq.last_scores

    async def chart_points(*args: object) -> object:
        calls.append("chart")
        return await real_points(*args)  # type: ignore[arg-type]

    async def last_scores(ids: list[int], since: datetime, count: int) -> dict[int, list[float]]:
        calls.append(f"last {count}")
        got = await real_scores(ids, since, count)
        assert all(len(v) <= count for v in got.values())
        return got

    monkeypatch.setattr(nq, "chart_points", chart_points)
    monkeypatch.setattr(nq, "last_scores", last_scores)
    first = await service.narrative("summoning ghosts")
    again = await service.narrative("summoning ghosts")
    assert first.chart_png == again.chart_png and first.chart_png is not None
    assert calls.count("chart") == 1  # the second one came from the chart cache
    assert service.charts.rendered == 1
    assert set(calls) - {"chart"} == {"last 12"}
    ghosts = await service.ghosts(timedelta(hours=6), 10)
    assert ghosts.narratives and calls[-1] == "last 12"
    service.charts.close()
