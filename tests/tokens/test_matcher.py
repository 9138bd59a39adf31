"""Token-to-narrative matching: strong, weak, unrelated, and timing against the seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.tokens.matcher import NarrativeRef, match_token, match_tokens, words
from bot.tokens.types import TokenLaunch

SEED = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
GHOSTS = NarrativeRef("summoning ghosts", ("summoning ghosts", "summon ghosts"), SEED)
VIBE = NarrativeRef("vibe coding", ("vibe coding",), SEED - timedelta(days=30))


def token(name: str, symbol: str, launched: datetime | None = None, desc: str = "") -> TokenLaunch:
    return TokenLaunch(
        chain="solana",
        address=f"addr-{symbol}",
        name=name,
        symbol=symbol,
        source="test",
        seen_at=SEED,
        description=desc,
        launched_at=launched,
    )


def only(t: TokenLaunch) -> dict[str, tuple[bool, float]]:
    return {m.narrative_key: (m.strong, m.similarity) for m in match_token(t, [GHOSTS, VIBE])}


def test_right_tokens_match_strongly() -> None:
    for name, symbol in (
        ("GHOST", "GHOST"),
        ("KarpathyGhost", "KGHOST"),
        ("Summon", "$SUMMON"),
        ("Summoning Ghosts", "SUMMONGHOSTS"),
    ):
        result = only(token(name, symbol))
        assert list(result) == ["summoning ghosts"], name
        assert result["summoning ghosts"][0] is True, name
    assert only(token("Summoning Ghosts", "SG"))["summoning ghosts"][1] == 100.0
    assert only(token("VibeCoder", "VIBE")) == {"vibe coding": (True, 100.0)}


def test_ghostface_killah_is_only_weak() -> None:
    result = only(token("GHOSTFACE KILLAH", "GFK"))
    assert list(result) == ["summoning ghosts"]
    strong, similarity = result["summoning ghosts"]
    assert strong is False
    assert similarity < only(token("GHOST", "GHOST"))["summoning ghosts"][1]


def test_unrelated_tokens_are_ignored() -> None:
    for name, symbol in (
        ("Pepe Classic", "PEPEC"),
        ("Dogwifhat", "WIF"),
        ("Moon Cat", "MCAT"),
        ("Official AI Coin", "AICOIN"),
        ("Casper", "CASPER"),
    ):
        assert only(token(name, symbol)) == {}, name


def test_description_alone_is_weak() -> None:
    result = only(token("Banana", "BNNA", desc="we are summoning ghosts"))
    assert result["summoning ghosts"][0] is False


def test_timing_after_before_and_long_before_seed() -> None:
    (after,) = match_token(token("GHOST", "G1", SEED + timedelta(minutes=42)), [GHOSTS])
    assert after.after_seed is True and after.delay_seconds == 42 * 60
    assert after.describe_timing() == "launched 42 min after the seed post"
    (before,) = match_token(token("GHOST", "G2", SEED - timedelta(minutes=10)), [GHOSTS])
    assert before.after_seed is False and not before.long_before_seed
    assert before.describe_timing() == "launched 10 min before the seed post"
    (old,) = match_token(token("Ghost Coin", "GHOST", datetime(2023, 7, 22, tzinfo=UTC)), [GHOSTS])
    assert old.after_seed is False and old.long_before_seed
    assert "older token" in old.describe_timing()
    (unknown,) = match_token(token("GHOST", "G3"), [GHOSTS])
    assert unknown.after_seed is None and unknown.delay_seconds is None
    no_seed = NarrativeRef("ghosts", ("ghosts",), None)
    (noseed,) = match_token(token("GHOST", "G4", SEED), [no_seed])
    assert noseed.after_seed is None


def test_strong_matches_sort_first() -> None:
    found = match_tokens([token("GHOSTFACE KILLAH", "GFK"), token("GHOST", "GHOST")], [GHOSTS])
    assert [m.strong for m in found] == [False, True]
    assert words("$KarpathyGhost #AI") == ["karpathy", "ghost", "ai"]
