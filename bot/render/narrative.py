"""A narrative: its summary in a list, its breakdown, and how a cooled one is described."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.render.clean import clean, handle
from bot.render.facts import (
    POST_CHARS,
    duration,
    headline,
    post_line,
    reason_lines,
    seed_link,
    token_line,
    tokens_line,
)
from bot.render.lines import SEPARATOR, Code, Line, Piece, Section
from bot.service.types import CooledNarrative, GhostsResult, NarrativeDetail, NarrativeSummary

TOP_POSTS = 3  # posts under "Top posts" in a breakdown
TOKEN_LINES = 8  # launches under "Tokens" in a breakdown
PHRASES = 10  # joined phrases under "Phrases", each cut to PHRASE_CHARS
PHRASE_CHARS = 60


def cooled_text(item: CooledNarrative, result: GhostsResult, lang: str) -> str:
    """ "peak 83/100 · cooled 40 min ago" for a narrative that alerted and went quiet."""
    ago = duration((result.generated_at - item.cooled_at).total_seconds(), lang)
    return t("ghosts.cooled", lang, score=item.peak_score, ago=ago)


@dataclass(frozen=True, slots=True)
class SummaryView:
    """One narrative in a list or at the top of its breakdown."""

    headline: str
    state: str
    stats: Line  # score · trend `sparkline`
    facts: tuple[Line, ...]  # authors and sources, seed, tokens, followed handles


def summary_view(item: NarrativeSummary, lang: str) -> SummaryView:
    stats: list[Piece | str] = [
        t("label.score", lang, score=item.score) + SEPARATOR + t(f"trend.{item.trend}", lang)
    ]
    if item.sparkline:
        stats += [" ", Code(item.sparkline)]
    about = [t("label.authors", lang, authors=item.authors)]
    if item.sources:
        sources = ", ".join(clean(s, 20, defuse=False) for s in item.sources)
        about.append(t("label.sources", lang, sources=sources))
    facts = [Line.of(SEPARATOR.join(about))]
    if item.leader and (seed := seed_link(item.leader, item.seed_post_url, lang)):
        facts.append(Line.of(seed))
    if item.tokens.count:
        facts.append(tokens_line(item.tokens, lang))
    if item.followed:
        followed = ", ".join(f"@{handle(h)}" for h in item.followed)
        facts.append(Line.of(t("label.followed", lang, handles=clean(followed, 300, defuse=False))))
    return SummaryView(
        headline=headline(item.label, item.phrases, defuse=False),
        state=t(f"state.{item.state}", lang),
        stats=Line.of(*stats),
        facts=tuple(facts),
    )


@dataclass(frozen=True, slots=True)
class NarrativeView:
    """A narrative's breakdown: its summary, then titled sections."""

    summary: SummaryView
    sections: tuple[Section, ...]


def narrative_view(
    detail: NarrativeDetail, lang: str, post_chars: int = POST_CHARS
) -> NarrativeView:
    """The breakdown; `post_chars` lets a renderer with less room cut top posts shorter."""
    sections = []
    if detail.reasons:
        sections.append(Section(t("narrative.why", lang), reason_lines(detail.reasons, lang)))
    if detail.phrases:
        phrases = ", ".join(clean(p, PHRASE_CHARS, defuse=False) for p in detail.phrases[:PHRASES])
        sections.append(Section(t("narrative.phrases", lang), (Line.of(phrases),)))
    if detail.first_post is not None:
        first = post_line(detail.first_post, lang)
        sections.append(Section(t("narrative.first_post", lang), (first,)))
    if detail.top_posts:
        posts = tuple(post_line(p, lang, post_chars) for p in detail.top_posts[:TOP_POSTS])
        sections.append(Section(t("narrative.top_posts", lang), posts))
    if detail.tokens:
        tokens = tuple(token_line(tk, lang) for tk in detail.tokens[:TOKEN_LINES])
        sections.append(Section(t("narrative.tokens", lang), tokens))
    return NarrativeView(summary_view(detail.summary, lang), tuple(sections))
