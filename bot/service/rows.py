"""Storage rows turned into the service's plain result types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.engine import Breakdown, Lifecycle, canonicalize
from bot.posts import PostFormatError, parse_time
from bot.service import follows, reasons
from bot.service.sparkline import sparkline
from bot.service.types import (
    LeaderEntry,
    NarrativeSummary,
    PostRef,
    Reason,
    SubscriptionSettings,
    TokenInfo,
    TokenSummary,
    Trend,
)
from storage.models import Leader, Narrative, Subscription, TokenLaunch, TokenMatch

TREND_POINTS = 6  # newest scores or complete mention buckets a trend is judged on


def readable_forms(phrases: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """One entry per joined form, as people write it: a folded key ("summon ghost") gives way
    to a spelling of it stored beside it ("summoning ghosts"); a key with none stays."""
    by_key: dict[str, str] = {}
    for phrase in phrases:
        key = canonicalize(phrase)
        kept = by_key.get(key)
        if kept is None or (kept == key and phrase != key):
            by_key[key] = phrase
    return tuple(by_key.values())


def settings_of(sub: Subscription) -> SubscriptionSettings:
    return SubscriptionSettings(
        platform=sub.platform,
        chat_id=sub.chat_id,
        subscribed=True,
        enabled=bool(sub.enabled),
        threshold=float(sub.threshold),
        language=sub.language,
        quiet_leaders=tuple(sub.quiet_leaders or ()),
        quiet_phrases=tuple(sub.quiet_phrases or ()),
        disabled_reason=sub.disabled_reason,
    )


def leader_of(row: Leader, is_global: bool) -> LeaderEntry:
    return LeaderEntry(row.handle, row.display_name, row.x_handle, row.bluesky_handle, is_global)


def trend(state: Lifecycle, scores: list[float], counts: list[float] | None = None) -> Trend:
    """rising while it still climbs, cooling once clearly off its peak, else peaking.

    Uses the score history when there are a few points, else the mention counts per bucket.
    """
    if state in (Lifecycle.COOLING, Lifecycle.DORMANT):
        return "cooling"
    series = scores if len(scores) >= 3 or not counts or len(counts) < 2 else counts
    if len(series) < 2:
        return "rising" if state == Lifecycle.EMERGING else "peaking"
    last, peak = series[-1], max(series)
    if last < peak * 0.85:
        return "cooling"
    if last - series[max(0, len(series) - 4)] > (2.0 if series is scores else 0.0):
        return "rising"
    return "peaking"


def series_of(raw: Any) -> list[tuple[datetime, int]]:
    out = []
    for item in raw or []:
        try:
            at, count = item[0], item[1]
            moment = at if isinstance(at, datetime) else parse_time(str(at))
            out.append((moment, int(count)))
        except (PostFormatError, IndexError, TypeError, ValueError):
            continue
    return out


def post_ref(data: Any) -> PostRef | None:
    if not isinstance(data, dict):
        return None
    created: datetime | None = None
    try:
        created = parse_time(str(data.get("created_at")))
    except PostFormatError:
        created = None
    url = data.get("url")
    return PostRef(
        author=str(data.get("author") or ""),
        source=str(data.get("source") or ""),
        text=str(data.get("text") or ""),
        url=str(url) if isinstance(url, str) and url else None,
        created_at=created,
        engagement=int(data.get("engagement") or 0),
    )


def token_infos(rows: list[tuple[TokenMatch, TokenLaunch]]) -> list[TokenInfo]:
    return [
        TokenInfo(
            symbol=launch.symbol,
            name=launch.name,
            chain=launch.chain,
            address=launch.address,
            url=launch.pair_url,
            liquidity_usd=launch.liquidity_usd,
            launched_at=launch.launched_at or launch.seen_at,
            after_seed=match.after_seed,
            delay_seconds=match.delay_seconds,
            similarity=float(match.similarity),
        )
        for match, launch in rows
    ]


def summarize_tokens(tokens: list[TokenInfo]) -> TokenSummary:
    if not tokens:
        return TokenSummary()
    delays = [t.delay_seconds for t in tokens if t.after_seed and t.delay_seconds is not None]
    best = max(tokens, key=lambda t: (t.liquidity_usd or -1.0, t.symbol))
    return TokenSummary(len(tokens), min(delays) if delays else None, best)


def summary_of(row: Narrative, scores: list[float], tokens: list[TokenInfo]) -> NarrativeSummary:
    """A narrative row as a summary, with its newest scores (oldest first) and its tokens."""
    # The newest bucket is still filling; judge shape and direction on complete ones.
    counts = [float(n) for _, n in series_of(row.series)][:-1]
    return NarrativeSummary(
        key=row.key,
        label=row.label,
        phrase=row.phrase,
        state=row.state,
        score=float(row.score),
        trend=trend(row.state, scores[-TREND_POINTS:], counts[-TREND_POINTS:]),
        sparkline=sparkline(counts or scores),
        leader=row.seed_leader,
        seed_post_url=row.seed_post_url,
        authors=int(row.authors),
        mentions=int(row.mentions),
        sources=tuple(row.sources or ()),
        tokens=summarize_tokens(tokens),
        episode=int(row.episode),
        first_seen=row.first_seen,
        updated_at=row.updated_at,
        ref=str(row.id),
        phrases=tuple(row.phrases or ()),
        posters=follows.poster_ids(row.top_posts),
    )


def reasons_of(row: Narrative, tokens: int, now: datetime) -> tuple[Reason, ...]:
    """Why a narrative row scores what it does, given how many tokens matched it."""
    return reasons.explain(
        Breakdown.from_json(row.breakdown),
        authors=int(row.authors),
        sources=len(row.sources or ()),
        leader=row.seed_leader,
        seed_at=row.seed_post_at,
        tokens=tokens,
        now=now,
    )
