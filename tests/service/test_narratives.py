"""NarrativeService on real storage, with narrative rows stored as the pipeline stores them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.service.errors import BadArgument, UnknownNarrative
from bot.service.narratives import NarrativeService
from bot.service.rows import trend
from bot.service.types import Caller, SourceHealth
from bot.sources.health import HealthRegistry
from storage.models import Alert, Narrative, ScorePoint, TokenLaunch, TokenMatch
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


async def test_detail_shows_the_joined_forms_as_people_spell_them(ghost: Ghost) -> None:
    service, _, row = ghost
    spelled = [
        "summon ghost",
        "#summoningghost",
        "幽霊を召喚",
        "summoning ghosts",
        "#SummoningGhosts",
    ]
    await Narrative.filter(id=row.id).update(phrases=spelled)
    detail = await service.narrative("summoning ghosts")
    # Each folded key gives way to its spelling; a form with no other spelling stays.
    assert detail.phrases == ("summoning ghosts", "#SummoningGhosts", "幽霊を召喚")
    # Lookups still match the folded forms.
    assert (await service.narrative("#summoningghost")).summary.key == "summon ghost"
