"""The evaluation scorer on hand-made alerts: matching, naming, delay math, aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.evaluation.drive import leader_ids
from bot.engine.evaluation.real import parse_bursts
from bot.engine.evaluation.report import bar_check
from bot.engine.evaluation.scenarios import JOINED_SOURCE, drift_stream, joined_stream
from bot.engine.evaluation.scorer import (
    Alert,
    bare_handle,
    is_named,
    matches_negative,
    matches_story,
    score,
    summarize,
)
from bot.engine.evaluation.truth import Negative, NegativeKind, Scenario, Story

T0 = datetime(2026, 3, 1, tzinfo=UTC)

GHOSTS = Story(
    id="ghosts",
    kind="leader",
    names=("summoning ghosts", "Summoning Ghosts", "#SummoningGhosts", "幽霊を召喚"),
    variants=("summoning ghosts", "summoned ghosts", "#SummoningGhosts", "幽霊を召喚"),
    core="summoning ghosts",
    first_post=T0 + timedelta(hours=5),
    leader="karpathy",
    peak_per_minute=5,
    tenth_post=T0 + timedelta(hours=5, minutes=30),
)
VIBE = Story(
    id="vibe",
    kind="organic",
    names=("vibe coding", "Vibe Coding", "#VibeCoding"),
    variants=("vibe coding", "#VibeCoding", "vibe-coded"),
    core="vibe coding",
    first_post=T0 + timedelta(hours=10),
    leader=None,
    peak_per_minute=5,
)
RING = Negative("ring", NegativeKind.RING, ("zorbax",))
DAILY = Negative("daily", NegativeKind.DAILY, ("pulso",), grace_until=T0 + timedelta(hours=20))


def alert(
    headline: str, minutes: float, phrases: tuple[str, ...] = (), leader: str | None = None
) -> Alert:
    return Alert(headline, phrases, leader, T0 + timedelta(minutes=minutes))


def scenario(*stories: Story) -> Scenario:
    return Scenario(
        name="hand/1",
        seed=1,
        start=T0,
        end=T0 + timedelta(hours=48),
        posts=[],
        stories=list(stories),
        negatives=[RING, DAILY],
    )


@pytest.mark.parametrize(
    ("headline", "phrases", "found"),
    [
        ("summoning ghosts", (), True),
        ("Summoned Ghosts", (), True),  # same canonical form
        ("ghost", ("summon ghost",), True),  # a joined phrase carries it
        ("幽霊を召喚する", (), True),  # CJK: substring
        ("#summoningghosts", (), True),
        ("we are summoning ghosts now", (), True),  # headline holds the core phrase
        ("summoning", ("summon", "ghost"), False),  # single words are not the story
        ("ghosts", (), False),
        ("ghostsummoning", (), False),  # token-aware, not a raw substring
    ],
)
def test_story_matching(headline: str, phrases: tuple[str, ...], found: bool) -> None:
    assert matches_story(alert(headline, 0, phrases), GHOSTS) is found


@pytest.mark.parametrize(
    ("story", "headline", "named"),
    [
        (GHOSTS, "summoning ghosts", True),
        (GHOSTS, "Summoning Ghosts", True),
        (GHOSTS, "summoned ghosts", True),  # a form people wrote, same fold
        (GHOSTS, "#SummoningGhosts", True),
        (GHOSTS, "幽霊を召喚", True),
        (GHOSTS, "summoning", False),  # one word of the coinage
        (GHOSTS, "summon ghost", False),  # the stemmed key, never written
        (VIBE, "vibe coding", True),
        (VIBE, "#vibecoding", True),
        (VIBE, "#vibecod", False),  # same fold as #VibeCoding, but a stem
        (VIBE, "code", False),
        (VIBE, "vibe coding agents", False),  # super-phrase is found but not the name
        (GHOSTS, "summoning ghosts (幽霊を召喚)", True),  # the other language's form beside it
        (GHOSTS, "summoning ghosts / 幽霊を召喚", True),
        (GHOSTS, "幽霊 (summoning ghosts)", False),  # first part is a fragment
        (GHOSTS, "summoning ghosts (ghost)", False),  # a fragment beside the name
    ],
)
def test_naming(story: Story, headline: str, named: bool) -> None:
    assert is_named(alert(headline, 0), story) is named


def test_leader_compares_bare_handles() -> None:
    assert bare_handle("x:Karpathy") == "karpathy"
    assert bare_handle("@karpathy") == "karpathy"
    assert bare_handle(None) is None
    assert leader_ids(["karpathy"]) == ["karpathy", "x:karpathy"]


def test_negative_matches_either_way_and_respects_grace() -> None:
    assert matches_negative(alert("claim free zorbax", 0), RING)
    assert matches_negative(alert("token", 0, ("zorbax",)), RING)
    assert not matches_negative(alert("token", 0), RING)
    assert not matches_negative(alert("morning pulso report", 60 * 9), DAILY)  # day one: news
    assert matches_negative(alert("morning pulso report", 60 * 33), DAILY)


def test_stream_score_delay_split_naming_and_leader() -> None:
    alerts = [
        alert("summoning", 5 * 60 + 50, ("summon ghost",), leader="sama"),  # found, misnamed
        alert("幽霊を召喚", 6 * 60 + 10),  # a split: second alert of the same story
        alert("vibe coding", 10 * 60 + 40),
        alert("zorbax", 12 * 60),  # negative and false
        alert("pulso report", 9 * 60),  # grace: neutral
        alert("kaxrox", 13 * 60),  # noise
    ]
    sc = score(scenario(GHOSTS, VIBE), reversed(alerts))  # order of arrival does not matter
    ghosts, vibe = sc.stories
    assert ghosts.delay_minutes == pytest.approx(50.0)
    assert ghosts.floor_minutes == pytest.approx(30.0)
    assert len(ghosts.alerts) == 2 and not ghosts.named and not ghosts.leader_right
    assert vibe.delay_minutes == pytest.approx(40.0) and vibe.named and vibe.leader_right
    assert (sc.alerts, sc.matched, sc.neutral) == (6, 3, 1)
    assert [a.headline for a in sc.false_alerts] == ["zorbax", "kaxrox"]
    assert [n for n, _ in sc.negatives_fired] == ["ring"]

    s = summarize([sc])
    assert s.recall == 1.0
    assert s.precision == pytest.approx(3 / 5)
    assert s.false_per_day == pytest.approx(2 / 2)  # 2 false alerts in a 48 h stream
    assert s.alerts_per_story == pytest.approx(3 / 2)
    assert s.median_delay == pytest.approx(45.0)
    assert s.max_delay == pytest.approx(50.0)
    assert (s.named_share, s.leader_share, s.negatives_fired) == (0.5, 0.5, 1)


def test_missed_story_and_no_alerts() -> None:
    s = summarize([score(scenario(GHOSTS), [])])
    assert (s.found, s.recall, s.precision, s.median_delay, s.named_share) == (
        0,
        0.0,
        None,
        None,
        None,
    )


def test_known_bursts_table_is_parsed() -> None:
    readme = (
        "| term | before | burst |\n|---|---|---|\n"
        '| "prism" | ~0 | 23 on 06-07, 42 on 06-10 (the leak) |\n'
        '| "snowden", "edward snowden" | 0 | 45 on 06-09 |\n'
        '\nSteady chatter to stay quiet on: "nsa" is ~40 a day, "boston",\n'
        '"xbox one", "e3" in the run-up. There is no "other" truth.\n'
        '\n"not quiet" is after a blank line.\n'
    )
    bursts, quiet = parse_bursts(readme)
    assert [(b.terms, b.days[0]) for b in bursts] == [
        (("prism",), (23, 6, 7)),
        (("snowden", "edward snowden"), (45, 6, 9)),
    ]
    assert quiet == ["nsa", "boston", "xbox one", "e3"]


def test_bar_check_names_the_missed_figures() -> None:
    good = summarize(
        [score(scenario(GHOSTS), [alert("summoning ghosts", 5 * 60 + 40, leader="x:karpathy")])]
    )
    assert bar_check("main", good) == "main: meets the bar (8 figures)"
    late = summarize(
        [score(scenario(GHOSTS), [alert("summoning", 6 * 60 + 30, ("summon ghost",))])]
    )
    assert bar_check("main", late) == (
        "main: misses 3/8: median delay <= 60 min; named >= 90%; leader right >= 90%"
    )
    assert bar_check("hard", late) == "hard: meets the bar (3 figures)"


def test_the_joined_network_starts_mid_stream_with_words_of_its_own() -> None:
    scenario = joined_stream(3001)
    feed = [p for p in scenario.posts if p.source == JOINED_SOURCE]
    joined_at = min(p.created_at for p in feed)
    assert scenario.start + timedelta(hours=8) <= joined_at <= scenario.start + timedelta(hours=14)
    words = {w for p in scenario.posts if p.source != JOINED_SOURCE for w in p.text.split()}
    own = {w for p in feed for w in p.text.split()} - words
    assert len(own) > 100  # everyday there, never written elsewhere
    harbor = next(s for s in scenario.stories if s.id == "harbor")
    on_feed = [p for p in feed if "velvet harbor" in p.text.lower()]
    assert on_feed and min(p.created_at for p in on_feed) == harbor.first_post
    assert NegativeKind.SOURCE_JOINED in {n.kind for n in scenario.negatives}


def test_the_drift_stream_rises_slowly_from_mid_stream_to_before_its_end() -> None:
    scenario = drift_stream(4001)
    slow = sorted(p.created_at for p in scenario.posts if "drovia garden" in p.text.lower())
    assert scenario.start + timedelta(hours=8) <= slow[0] <= scenario.start + timedelta(hours=18)
    assert slow[-1] <= scenario.end - timedelta(minutes=50)
    # Linear from nothing: its next four hours hold about three times its first four.
    hours = [
        sum(1 for t in slow if slow[0] + timedelta(hours=h) <= t < slow[0] + timedelta(hours=h + 1))
        for h in range(8)
    ]
    assert sum(hours[:4]) < sum(hours[4:]) / 2
    assert hours[0] < 10 and sum(hours[4:]) > 40
    assert {s.id for s in scenario.stories} == {"tundra"}
    assert NegativeKind.SLOW_GROWTH in {n.kind for n in scenario.negatives}
