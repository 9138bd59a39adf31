"""Which member phrases a narrative shows."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.engine import clustering
from bot.engine.candidates import Candidate
from bot.engine.clustering import member_phrases
from bot.engine.evidence import Evidence
from bot.engine.scoring import Signals


def cand(canonical: str, mentions: float) -> Candidate:
    c = Candidate(key=hash(canonical), slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    c.canonical = canonical
    evidence = Evidence(
        llr=mentions,
        adopters=mentions,
        distinct=int(mentions),
        expected=1.0,
        window_seconds=3600.0,
        window_posts=1000,
        recent=mentions / 4,
    )
    c.signals = Signals(evidence=evidence, sources=("x",), engagement=0, mentions=int(mentions))
    return c


def test_rare_extensions_of_a_member_are_not_shown() -> None:
    anchor = cand("summon ghost", 120)
    members = [
        anchor,
        cand("summon", 130),
        cand("ghost", 140),
        cand("#summoningghost", 40),  # a variant: never an extension
        cand("nofusux summon ghost", 12),  # the meme plus a neighbouring word
        cand("ghost musakix", 9),
        cand("summon ghost not animal", 90),  # the longer coinage most posts carry
    ]
    assert member_phrases(members, keep=anchor) == [
        "#summoningghost",
        "ghost",
        "summon",
        "summon ghost",
        "summon ghost not animal",
    ]


def test_the_anchor_stays_and_japanese_runs_are_compared_as_text() -> None:
    anchor = cand("幽霊を召喚", 30)
    members = [anchor, cand("幽霊", 100), cand("召喚", 90), cand("幽霊を召喚する人", 5)]
    assert member_phrases(members, keep=anchor) == ["召喚", "幽霊", "幽霊を召喚"]


def test_a_word_accompanies_a_story_by_its_recent_posts() -> None:
    story = set(range(100, 140))
    assert clustering.accompanies([*range(120, 130), *range(500, 520)], story)  # a third
    assert not clustering.accompanies([*range(120, 124), *range(500, 540)], story)  # a tenth
    assert not clustering.accompanies([120, 121], story)  # too few to tell
