"""The two platforms render the same line models: the same facts, each escaped for its platform."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.render import discord as dc
from bot.render import telegram as tg
from bot.render.alert import alert_view
from bot.render.clean import WORD_JOINER
from bot.render.errors import Syntax, error_text, usage_line
from bot.render.facts import token_line
from bot.render.lines import Line, Link
from bot.render.narrative import narrative_view
from bot.render.status import status_view
from bot.service.errors import BadArgument, UnknownNarrative
from bot.service.types import (
    AlertCard,
    NarrativeDetail,
    NarrativeSummary,
    PostRef,
    Reason,
    SourceHealth,
    StatusReport,
    TokenInfo,
    TokenSummary,
    WatchEntry,
)
from tests.fakes.telegram_server import html_problem

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOSTILE = "@everyone <b>x</b> **bold** [click](https://evil.example) _u_"


def token(name: str = "Vibe", *, after_seed: bool | None = True) -> TokenInfo:
    return TokenInfo("VIBE", name, "solana", "Mint1", None, 1234.0, NOW, after_seed, 42 * 60, 90)


def card(label: str = "vibe coding", **kw: object) -> AlertCard:
    base: dict[str, object] = dict(
        key="vibe code",
        label=label,
        phrase="vibe code",
        score=72.4,
        state="viral",
        episode=1,
        reasons=(Reason("reason.velocity", {"ratio": 14.0}),),
        leader="karpathy",
        seed_post_url="https://x.com/karpathy/status/9",
        tokens=TokenSummary(2, 1800, token()),
        details_command=f"/narrative {label}",
        matched_watch=WatchEntry("phrase", "vibe", label),
        ref="17",
    )
    base.update(kw)
    return AlertCard(**base)  # type: ignore[arg-type]


def summary(label: str = "vibe coding") -> NarrativeSummary:
    return NarrativeSummary(
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
        tokens=TokenSummary(1, 1800, token()),
        episode=1,
        first_seen=NOW,
        updated_at=NOW,
        ref="17",
    )


def telegram_visible(text: str) -> str:
    """What a Telegram user reads: tags gone, entities decoded, word joiners invisible."""
    return html.unescape(re.sub(r"<[^>]+>", "", text)).replace(WORD_JOINER, "")


def discord_visible(text: str) -> str:
    """What a Discord user reads: masked links show their label, escapes are not shown."""
    text = re.sub(r"\[((?:\\.|[^\]])*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*\*(.*?)\*\*|`(.*?)`", lambda m: m[1] or m[2], text)
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "").replace(WORD_JOINER, "")


def embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    for field in embed.fields:
        parts += [field.name or "", field.value or ""]
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_alert_card_gives_the_same_facts_on_both_platforms(lang: str) -> None:
    alert = card()
    view = alert_view(alert, lang)
    shown_tg = telegram_visible(tg.alert(alert, lang)[0])
    shown_dc = discord_visible(embed_text(dc.alert_embed(alert, lang)))
    assert view.reasons is not None and view.seed is not None
    facts = [view.title, view.score, view.details.label, view.watch_reason or ""]
    facts += [line.plain() for line in (*view.reasons.lines, Line.of(view.seed), view.tokens)]
    for fact in facts:
        assert fact in shown_tg, fact
        assert fact in shown_dc, fact


def test_the_same_hostile_alert_is_escaped_for_each_platform() -> None:
    alert = card(HOSTILE, leader="everyone")
    text, _ = tg.alert(alert, "en")
    assert html_problem(text) is None
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert "@everyone" not in text  # a word joiner keeps it from pinging
    embed = dc.alert_embed(alert, "en")
    for part in embed_text(embed).splitlines():
        assert "@everyone" not in part
        if part != embed.footer.text:  # footers are not markdown: a link there is plain text
            assert not re.search(r"(?<!\\)\[click\]\(", part)
    assert "\\*\\*bold\\*\\*" in (embed.title or "")


def test_a_breakdown_has_the_same_sections_and_lines_on_both_platforms() -> None:
    post = PostRef("@someone", "x", "it is " + "very " * 100 + "long", "https://x.com/s/1", NOW)
    detail = NarrativeDetail(
        summary=summary(),
        reasons=(Reason("reason.reach", {"authors": 10, "sources": 2}),),
        phrases=("vibe code", "vibe coding"),
        first_post=post,
        top_posts=(post,) * 5,
        tokens=(token(), token("Early", after_seed=False)) * 6,
        chart_png=None,
    )
    view = narrative_view(detail, "en")
    page = tg.narrative(detail, "en")
    embed = dc.narrative_embed(detail, "en")
    assert html_problem(page) is None
    titles = [section.title for section in view.sections]
    assert titles == ["Why", "Phrases", "First post", "Top posts", "Tokens"]
    assert [field.name for field in embed.fields] == titles
    for section, field in zip(view.sections, embed.fields, strict=True):
        assert f"<b>{section.title}</b>" in page
        for line in section.lines:
            assert tg.line(line) in page
            if section.title != "Top posts":  # Discord cuts those shorter to share one field
                assert dc.line(line) in (field.value or "")
    # One rule for how many: 3 top posts and 8 launches, on both platforms.
    assert len(view.sections[3].lines) == 3 and len(view.sections[4].lines) == 8
    assert (embed.fields[3].value or "").count("• [@someone on x]") == 3
    assert page.count("⚠️ before seed") == embed.fields[4].value.count("⚠️ before seed") == 4
    # The same seed and summary facts, in the same order.
    facts = [line.plain() for line in (view.summary.stats, *view.summary.facts)]
    shown_tg, shown_dc = telegram_visible(page), discord_visible(embed.description or "")
    assert [shown_tg.index(f) for f in facts] == sorted(shown_tg.index(f) for f in facts)
    assert [shown_dc.index(f) for f in facts] == sorted(shown_dc.index(f) for f in facts)


def test_a_token_line_reads_the_same_on_both_platforms() -> None:
    line = token_line(token("Vibe Coding"), "en")
    expected = (
        "• $VIBE Vibe Coding (dexscreener.com) · solana · launched 42 min after the seed post"
    )
    assert telegram_visible(tg.line(line)).startswith(expected)
    assert discord_visible(dc.line(line)).startswith(expected)
    assert '<a href="https://dexscreener.com/solana/Mint1">' in tg.line(line)
    assert "](https://dexscreener.com/solana/Mint1)" in dc.line(line)


def test_link_takes_the_label_first_on_both_platforms() -> None:
    assert tg.link("x<y", "javascript:alert(1)") == "x&lt;y"
    assert dc.link("x_y", "javascript:alert(1)") == "x\\_y"
    assert tg.piece(Link("a", "https://e.example/p")) == tg.link("a", "https://e.example/p")
    assert dc.piece(Link("a", "https://e.example/p")) == dc.link("a", "https://e.example/p")


def test_status_shows_the_same_totals_and_sources_on_both_platforms() -> None:
    report = StatusReport(
        (
            SourceHealth("bluesky", "ok", NOW - timedelta(minutes=2), "old failure", 10),
            SourceHealth("reddit", "down", None, "HTTP 403 <b>", 0),
        ),
        NOW - timedelta(minutes=1),
        3,
        {"viral": 1},
        True,
        0,
        now=NOW,
    )
    view = status_view(report, "en", NOW)
    shown_tg = telegram_visible(tg.status(report, "en"))
    shown_dc = discord_visible(embed_text(dc.status_embed(report, "en")))
    for fact in (*view.totals, *(s.title for s in view.sources), "last error: HTTP 403 <b>"):
        assert fact in shown_tg and fact in shown_dc, fact
    assert "old failure" not in shown_tg and "old failure" not in shown_dc  # ok again


def test_one_error_formatter_cleans_what_the_user_typed_on_both_platforms() -> None:
    typed = "@everyone\u202e" + "x" * 500
    for syntax in Syntax:
        shown = error_text(UnknownNarrative(query=typed), "en", syntax)
        assert "\u202e" not in shown and "@" + WORD_JOINER + "everyone" in shown
        assert len(shown) < 200
    assert usage_line("watch", "en", Syntax.DISCORD) == (
        "Usage: /watch add <item> | /watch remove <item> | /watch list"
    )
    assert error_text(BadArgument("watch"), "ja").startswith("使い方: /watch <")
    assert usage_line("threshold", "en", Syntax.DISCORD) == "Usage: /threshold"
