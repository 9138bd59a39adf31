"""Telegram HTML rendering of service results (checked with the fake server's HTML rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.render import telegram as render
from bot.service.types import (
    AlertCard,
    GhostsResult,
    LeaderEntry,
    LeaderList,
    NarrativeSummary,
    Reason,
    SourceHealth,
    StatusReport,
    SubscriptionSettings,
    TokenInfo,
    TokenSummary,
    WatchEntry,
)
from tests.fakes.telegram_server import html_problem

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOKEN = TokenInfo(
    symbol="GH<O>ST",
    name="Ghost & co",
    chain="solana",
    address="a",
    url="https://dex/1",
    liquidity_usd=25000.0,
    launched_at=NOW,
    after_seed=True,
    delay_seconds=1800,
    similarity=90,
)


def summary(label: str = "vibe coding", **kw: object) -> NarrativeSummary:
    base: dict[str, object] = dict(
        key="vibe code",
        label=label,
        phrase="vibe code",
        state="viral",
        score=72.4,
        trend="rising",
        sparkline="▁▂▃▅▇",
        leader="karpathy",
        seed_post_url="https://x.com/karpathy/status/9",
        authors=312,
        mentions=900,
        sources=("x", "bluesky"),
        tokens=TokenSummary(1, 1800, TOKEN),
        episode=1,
        first_seen=NOW,
        updated_at=NOW,
        ref="17",
    )
    base.update(kw)
    return NarrativeSummary(**base)  # type: ignore[arg-type]


def card(**kw: object) -> AlertCard:
    base: dict[str, object] = dict(
        key="vibe code",
        label="vibe coding",
        phrase="vibe code",
        score=72.4,
        state="viral",
        episode=1,
        reasons=(Reason("reason.velocity", {"ratio": 14.0}),),
        leader="karpathy",
        seed_post_url="https://x.com/karpathy/status/9",
        tokens=TokenSummary(1, 1800, TOKEN),
        details_command="/narrative vibe coding",
        ref="17",
    )
    base.update(kw)
    return AlertCard(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_alert_is_valid_telegram_html_with_buttons(lang: str) -> None:
    text, markup = render.alert(card(), lang)
    assert html_problem(text) is None
    assert "GH&lt;O&gt;ST" in text and "$25,000" in text
    assert '<a href="https://x.com/karpathy/status/9">' in text
    assert markup is not None
    [[details, watch]] = markup.inline_keyboard
    assert (details.callback_data, watch.callback_data) == ("d:17", "w:17")
    if lang == "ja":
        assert "新しいナラティブ" in text and details.text == "詳細"


def test_second_episode_and_direct_message_wording() -> None:
    text, _ = render.alert(
        card(episode=2, matched_watch=WatchEntry("token", "GHOST", "$GHOST")), "en"
    )
    assert "Back again: vibe coding" in text
    assert "you watch token “$GHOST”" in text


def test_callback_data_is_bounded() -> None:
    with pytest.raises(ValueError):
        render.callback_data(render.DETAILS_PREFIX, "9" * 63)
    assert render.keyboard("", "en") is None


def test_ghosts_list_is_bounded_and_valid() -> None:
    many = tuple(summary(label="phrase " + "w" * 300 + str(i), ref=str(i)) for i in range(25))
    text = render.ghosts(GhostsResult(360, many, NOW), "en")
    assert html_problem(text) is None
    assert len(text) <= render.MESSAGE_LIMIT and text.endswith("…")
    assert text.startswith("<b>Emerging narratives (last 6 h)</b>")
    empty = render.ghosts(GhostsResult(60, (), NOW), "ja")
    assert "いま広がり始めたものはありません" in empty


def test_unsafe_links_are_not_linked() -> None:
    assert render.link("x<y", "javascript:alert(1)") == "x&lt;y"
    assert render.link("t", 'https://a/"onmouseover="x') == (
        '<a href="https://a/&quot;onmouseover=&quot;x">t</a> (a)'
    )


def test_masked_links_show_the_real_domain_next_to_a_scraped_label() -> None:
    # A scraped label that names one site while the link goes to another.
    shown = render.link("https://x.com/karpathy", "https://evil.example/x")
    assert shown.endswith("</a> (evil.example)")
    # A look-alike host is shown in its ASCII form, not as the Cyrillic look-alike.
    assert render.link("x.com", "https://\u0445.com/a").endswith("(xn--u1a.com)")


def test_the_message_limit_is_counted_in_utf16_units() -> None:
    emoji = "👻" * 1500  # 1,500 code points, 3,000 UTF-16 units
    text = render.join_limited([emoji, emoji])
    assert render.utf16_len(text) <= render.MESSAGE_LIMIT
    assert text.startswith(emoji) and text.endswith("…")  # the second line did not fit


def test_settings_leaders_status() -> None:
    settings = SubscriptionSettings(
        "telegram",
        "-1",
        True,
        False,
        42.0,
        "ja",
        ("karpathy",),
        ("vibe code",),
        "telegram: Forbidden: bot was kicked",
    )
    text = render.settings(settings, "en")
    assert "Alerts: off" in text and "Threshold: 42" in text and "Japanese" in text
    assert "vibe code" in text and "bot was kicked" in text
    leaders = render.leaders(
        LeaderList((LeaderEntry("karpathy", "Andrej", "karpathy", None, True),), ()), "en"
    )
    assert "karpathy" in leaders and "No leaders added in this chat yet." in leaders
    report = StatusReport(
        (
            SourceHealth("bluesky", "ok", NOW - timedelta(minutes=2), None, 10),
            SourceHealth("reddit", "down", None, "HTTP 403 <b>", 0),
        ),
        NOW - timedelta(minutes=1),
        3,
        {"viral": 1},
        True,
        0,
    )
    status = render.status(report, "en")
    assert html_problem(status) is None
    assert "bluesky: ok" in status and "reddit: down" in status and "HTTP 403 &lt;b&gt;" in status
    assert "Narratives tracked: 3" in status


def test_help_lists_every_command_in_both_languages() -> None:
    for lang in ("en", "ja"):
        text = render.help_text(lang)
        assert html_problem(text) is None
        for command in render.COMMANDS:
            assert f"/{command}" in text


def test_status_measures_the_last_scan_in_stream_time() -> None:
    # A replay of March data, scored today: the last scan was 3 stream-minutes ago.
    stream_now = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    report = StatusReport(
        (), stream_now - timedelta(minutes=3), 1, {"viral": 1}, True, 0, now=stream_now
    )
    status = render.status(report, "en")
    assert "Last scan: 3 min ago" in status, status


def test_alert_and_narrative_show_the_joined_language_and_token_launch_timing() -> None:
    from bot.service.types import NarrativeDetail

    joined = ("vibe code", "バイブコーディング")
    text, _ = render.alert(card(phrases=joined), "en")
    assert "<b>👻 Emerging narrative: vibe coding · バイブコーディング</b>" in text
    assert "first launched 30 min after the seed post" in text
    token = TokenInfo(
        symbol="VIBE",
        name="Vibe Coding",
        chain="solana",
        address="VibeMint1111",
        url="https://pump.fun/VibeMint1111",
        liquidity_usd=None,
        launched_at=NOW,
        after_seed=True,
        delay_seconds=42 * 60,
        similarity=95,
    )
    detail = NarrativeDetail(
        summary=summary(phrases=joined),
        reasons=(),
        phrases=joined,
        first_post=None,
        top_posts=(),
        tokens=(token,),
        chart_png=None,
    )
    page = render.narrative(detail, "en")
    assert html_problem(page) is None
    assert "<b>vibe coding · バイブコーディング</b>" in page
    assert (
        '• <a href="https://dexscreener.com/solana/VibeMint1111">$VIBE Vibe Coding</a> '
        "(dexscreener.com) · solana · launched 42 min after the seed post"
    ) in page
    assert "発端の投稿の 42 分 後にローンチ" in render.narrative(detail, "ja")
