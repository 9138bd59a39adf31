"""Shared plain-text pieces: sanitizing, durations, reasons, error texts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.render.clean import WORD_JOINER, clean, defuse_mentions, safe_url
from bot.render.errors import error_text
from bot.render.facts import duration, reason_text
from bot.service.errors import BadArgument, UnknownNarrative, WatchLimitReached
from bot.service.inputs import BIDI_CONTROLS
from bot.service.types import Reason


def test_clean_strips_controls_and_bidi_and_defuses_mentions() -> None:
    text = "a\u202eb\nc\td\x00 @everyone @here"
    assert clean(text) == f"ab c d @{WORD_JOINER}everyone @{WORD_JOINER}here"
    assert clean("x" * 5000, 80) == "x" * 79 + "…"
    assert clean(None) == "" and clean("   ") == ""
    assert clean("@a", defuse=False) == "@a"


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_clean_is_bounded_and_never_leaves_dangerous_characters(text: str, limit: int) -> None:
    out = clean(text, limit)
    assert len(out.replace(WORD_JOINER, "")) <= limit
    assert not any(ch in BIDI_CONTROLS or (ord(ch) < 32) for ch in out)
    assert "@" not in out.replace("@" + WORD_JOINER, "")
    assert defuse_mentions(out) == out  # idempotent


def test_safe_url_allows_only_plain_web_links() -> None:
    assert safe_url("https://bsky.app/profile/x/post/1") == "https://bsky.app/profile/x/post/1"
    for bad in (
        "javascript:alert(1)",
        "tg://resolve?domain=x",
        "data:text/html,x",
        "https://",
        "https://a b",
        None,
        "",
    ):
        assert safe_url(bad) is None


def test_durations_and_reasons_localize() -> None:
    assert duration(42, "en") == "42 s"
    assert duration(600, "en") == "10 min"
    assert duration(3 * 3600, "en") == "3.0 h"
    assert duration(3 * 3600, "ja") == "3.0 時間"
    assert duration(5 * 86400, "en") == "5 d"
    reason = Reason("reason.leader", {"leader": "karpathy", "ago_seconds": 3 * 3600})
    assert reason_text(reason, "en") == "first said by @karpathy 3.0 h ago"
    assert reason_text(reason, "ja") == "3.0 時間前に @karpathy が最初に発言"
    assert reason_text(Reason("reason.velocity", {"ratio": 14.2}), "en") == "×14 its usual rate"


def test_error_texts() -> None:
    assert error_text(BadArgument("watch"), "en") == ("Usage: /watch <phrase | @leader | $TICKER>")
    assert error_text(BadArgument("alerts", "bad.threshold"), "en").startswith(
        "The threshold must be a number from 0 to 100.\nUsage: /alerts on"
    )
    assert error_text(WatchLimitReached(limit=50), "ja").startswith("ウォッチリストがいっぱい")
    hostile = error_text(UnknownNarrative(query="@everyone\u202e"), "en")
    assert "@" + WORD_JOINER + "everyone" in hostile and "\u202e" not in hostile


def test_the_headline_shows_the_story_in_its_other_language() -> None:
    from bot.render.facts import dexscreener_url, headline, other_script_form

    joined = ("code", "vibe", "vibe code", "バイブ", "バイブコーディング")
    assert headline("vibe coding", joined) == "vibe coding · バイブコーディング"
    assert headline("バイブコーディング", ("バイブコーディング", "vibe code")) == (
        "バイブコーディング · vibe code"
    )
    assert headline("vibe coding", ("vibe code", "#vibecoding")) == "vibe coding"
    assert other_script_form("幽霊を召喚", ("幽霊", "召喚した")) is None  # kanji and kana: one
    assert headline("@vibe", ("@ゴースト",)) == f"@{WORD_JOINER}vibe · @{WORD_JOINER}ゴースト"

    assert dexscreener_url("solana", "So1ana111") == "https://dexscreener.com/solana/So1ana111"
    assert dexscreener_url("eth", "0xabc") == "https://dexscreener.com/ethereum/0xabc"
    assert dexscreener_url("solana", "a/../../x") is None
