"""An alert card: its facts in the order both platforms show them, and as plain text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.render.clean import LABEL_CHARS, clean, handle, safe_url
from bot.render.facts import (
    headline,
    reason_lines,
    reason_text,
    seed_link,
    tokens_line,
    tokens_text,
)
from bot.render.lines import Line, Link, Section
from bot.service.types import AlertCard


@dataclass(frozen=True, slots=True)
class AlertView:
    """The facts of an alert card, in the order both platforms show them."""

    title: str
    score: str
    reasons: Section | None
    seed: Link | None
    tokens: Line
    details: Link  # "Details: /narrative …", linked to the breakdown when there is a page
    watch_reason: str | None  # why a direct message came: the watch entry it matched


def alert_view(card: AlertCard, lang: str) -> AlertView:
    title_key = "alert.title" if card.episode <= 1 else "alert.title_again"
    label = headline(card.label, card.phrases, defuse=False)
    reasons = None
    if card.reasons:
        reasons = Section(t("alert.why", lang), reason_lines(card.reasons, lang))
    watch_reason = None
    if card.matched_watch is not None:
        kind = t(f"watch.kind.{card.matched_watch.kind}", lang)
        display = clean(card.matched_watch.display, defuse=False)
        watch_reason = t("alert.dm_reason", lang, kind=kind, display=display)
    command = clean(card.details_command, LABEL_CHARS + 12, defuse=False)
    return AlertView(
        title=t(title_key, lang, label=label),
        score=t("alert.score", lang, score=card.score),
        reasons=reasons,
        seed=seed_link(card.leader, card.seed_post_url, lang),
        tokens=tokens_line(card.tokens, lang),
        details=Link(t("alert.details", lang, command=command), card.details_url),
        watch_reason=watch_reason,
    )


def alert_text(card: AlertCard, lang: str) -> str:
    """The alert as plain text (console, logs, fallbacks)."""
    title = "alert.title" if card.episode <= 1 else "alert.title_again"
    label = headline(card.label, card.phrases)
    lines = [t(title, lang, label=label), t("alert.score", lang, score=card.score)]
    lines += [f"• {reason_text(r, lang)}" for r in card.reasons]
    if card.leader:
        lines.append(t("label.leader", lang, leader=handle(card.leader)))
    url = safe_url(card.seed_post_url)
    if url:
        lines.append(f"{t('alert.seed', lang)}: {url}")
    lines.append(tokens_text(card.tokens, lang))
    lines.append(t("alert.details", lang, command=clean(card.details_command, 120)))
    if card.matched_watch is not None:
        kind = t(f"watch.kind.{card.matched_watch.kind}", lang)
        display = clean(card.matched_watch.display)
        lines.append(t("alert.dm_reason", lang, kind=kind, display=display))
    return "\n".join(lines)
