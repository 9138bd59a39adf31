"""Embeds: scraped text is inert (no markdown, no pings) and every part fits Discord's limits."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.discord import (
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    alert_embed,
    ghosts_embed,
    link,
    narrative_embed,
    safe_url,
)
from bot.service.types import (
    AlertCard,
    GhostsResult,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    Reason,
    TokenInfo,
    TokenSummary,
    WatchEntry,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOSTILE = "@everyone **bold** `tick` [click](https://evil.example) <@123456789012345678> @here"


def strings_of(embed: discord.Embed) -> list[str]:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    for field in embed.fields:
        parts += [field.name or "", field.value or ""]
    return parts


def assert_fits(embed: discord.Embed) -> None:
    assert len(embed) <= EMBED_TOTAL_MAX
    assert len(embed.title or "") <= TITLE_MAX
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert 0 < len(field.name or "") <= FIELD_NAME_MAX
        assert 0 < len(field.value or "") <= FIELD_VALUE_MAX


def assert_inert(embed: discord.Embed) -> None:
    for text in strings_of(embed):
        assert "@everyone" not in text and "@here" not in text
        assert "<@123456789012345678>" not in text
        if text == (embed.footer.text or ""):
            continue  # footers are not markdown-rendered: no escaping needed (or wanted)
        assert not re.search(r"(?<!\\)\[click\]\(", text), text  # no live masked link


def card(label: str, leader: str | None = "karpathy", display: str = "ghosts") -> AlertCard:
    best = TokenInfo(
        "GHOST", label, "solana", "addr", "https://dexscreener.com/x", 1234.0, NOW, True, 60, 90.0
    )
    return AlertCard(
        key="k",
        label=label,
        phrase=label,
        score=77.0,
        state="viral",
        episode=1,
        reasons=(
            Reason("reason.velocity", {"ratio": 14.0}),
            Reason("reason.leader", {"leader": leader or "x", "ago_seconds": 7200}),
        ),
        leader=leader,
        seed_post_url="https://x.com/karpathy/status/1",
        tokens=TokenSummary(3, 600, best),
        details_command=f"/narrative {label}",
        matched_watch=WatchEntry("phrase", "ghosts", display),
        ref="42",
    )


def test_alert_embed_defuses_hostile_text() -> None:
    embed = alert_embed(card(HOSTILE, leader="everyone", display=HOSTILE), "en")
    assert_inert(embed)
    assert_fits(embed)
    assert "\\*\\*bold\\*\\*" in embed.title  # shown literally, not as markdown
    assert "2 h" in embed.fields[0].value or "2.0 h" in embed.fields[0].value


def test_alert_embed_in_japanese() -> None:
    embed = alert_embed(card("幽霊を召喚"), "ja")
    assert embed.title == "👻 新しいナラティブ: 幽霊を召喚"
    assert embed.fields[0].name == "理由"


@settings(max_examples=60, deadline=None)
@given(
    label=st.text(min_size=1, max_size=2000),
    leader=st.none() | st.text(min_size=1, max_size=300),
    display=st.text(min_size=1, max_size=500),
)
def test_alert_embed_always_fits_and_never_pings(label: str, leader: str | None, display: str):
    embed = alert_embed(card(label, leader, display), "en")
    assert_fits(embed)
    for text in strings_of(embed):
        assert "@everyone" not in text and "@here" not in text


def summary(label: str, ref: str = "1") -> NarrativeSummary:
    return NarrativeSummary(
        key=label[:50],
        label=label,
        phrase=label,
        state="emerging",
        score=55.0,
        trend="rising",
        sparkline="▁▂`▅▇",
        leader="karpathy",
        seed_post_url="javascript:alert(1)",
        authors=120,
        mentions=300,
        sources=("x", "bluesky"),
        tokens=TokenSummary(),
        episode=0,
        first_seen=NOW,
        updated_at=NOW,
        ref=ref,
    )


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=400), min_size=1, max_size=30))
def test_ghosts_embed_fits_with_many_long_labels(labels: list[str]) -> None:
    result = GhostsResult(360, tuple(summary(x, str(i)) for i, x in enumerate(labels)), NOW)
    embed = ghosts_embed(result, "en")
    assert_fits(embed)


def test_ghosts_embed_sparkline_is_a_code_span_and_bad_links_are_dropped() -> None:
    embed = ghosts_embed(GhostsResult(360, (summary(HOSTILE),), NOW), "en")
    value = embed.fields[0].value
    assert "`▁▂ˋ▅▇`" in value  # a backtick cannot break out of the span
    assert "javascript:" not in value
    assert_inert(embed)


@settings(max_examples=30, deadline=None)
@given(
    text=st.text(min_size=0, max_size=3000),
    posts=st.integers(min_value=0, max_value=10),
    tokens=st.integers(min_value=0, max_value=40),
)
def test_narrative_embed_fits_whatever_was_scraped(text: str, posts: int, tokens: int) -> None:
    post = PostRef(text[:60] or "a", "x", text, "https://x.com/a/status/1", NOW, 5)
    token = TokenInfo(text[:30] or "T", text, "solana", "a", None, None, NOW, None, None, 50.0)
    detail = NarrativeDetail(
        summary=summary(text or "label"),
        reasons=(Reason("reason.reach", {"authors": 10, "sources": 2}),),
        phrases=tuple(text.split()[:50]) or ("x",),
        first_post=post,
        top_posts=(post,) * posts,
        tokens=(token,) * tokens,
        chart_png=b"\x89PNG",
    )
    embed = narrative_embed(detail, "en")
    assert_fits(embed)
    assert embed.image.url == "attachment://chart.png"


def test_links_accept_only_http_and_cannot_be_broken_out_of() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://e.example/a_(b)") == "https://e.example/a_%28b%29"
    assert link("[x](y)", "https://e.example") == "[\\[x\\](y)](https://e.example) (e.example)"
    assert link("plain", None) == "plain"


def test_ghosts_leader_link_is_escaped_once_and_shows_its_host() -> None:
    item = dataclasses.replace(
        summary("ghosts"),
        leader="brian_armstrong",
        seed_post_url="https://x.com/brian_armstrong/status/1",
        followed=("some_voice",),
    )
    result = GhostsResult(window_minutes=360, narratives=(item,), generated_at=NOW)
    value = ghosts_embed(result, "en").fields[0].value or ""
    assert "[seeded by @brian\\_armstrong](https://x.com/brian_armstrong/status/1) (x.com)" in value
    assert "\\\\" not in value  # nothing escaped twice
    assert "followed here: @some\\_voice" in value


def test_alert_and_narrative_titles_show_the_joined_language() -> None:
    from dataclasses import replace

    from bot.render.discord import alert_embed, line
    from bot.render.facts import token_line

    joined = replace(card("vibe coding"), phrases=("vibe code", "バイブコーディング"))
    assert (
        alert_embed(joined, "en").title == "👻 Emerging narrative: vibe coding · バイブコーディング"
    )
    token = TokenInfo("VIBE", "Vibe", "eth", "0xabc", None, None, NOW, True, 42 * 60, 90.0)
    shown = line(token_line(token, "en"))
    assert "https://dexscreener.com/ethereum/0xabc" in shown
    assert shown.endswith("eth · launched 42 min after the seed post")
