"""A chat's follow list, marked in that chat's own views (see bot/leaders.py for the design).

A chat's `/leaders add` never reaches the engine or other chats. What it does: when one of the
accounts the chat follows wrote one of the posts a narrative stores (its top posts), that
chat's `/ghosts` and `/narrative` name the account next to the narrative.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from bot.leaders import LeaderFormatError, entry_ids, post_identity
from bot.service.types import GhostsResult, NarrativeDetail, NarrativeSummary


def poster_ids(top_posts: Iterable[Any] | None) -> tuple[str, ...]:
    """The "network:author" identities of a narrative's stored posts."""
    ids: dict[str, None] = {}
    for post in top_posts or ():
        if not isinstance(post, Mapping):
            continue
        author, source = post.get("author"), post.get("source")
        if isinstance(author, str) and author and isinstance(source, str) and source:
            ids[post_identity(source, author)] = None
    return tuple(ids)


def follow_map(handles: Iterable[str]) -> dict[str, str]:
    """Identity → the follow entry as the chat typed it (canonical), for each followed entry."""
    out: dict[str, str] = {}
    for handle in handles:
        try:
            ids = entry_ids(handle)
        except LeaderFormatError:
            continue
        for ident in ids:
            out.setdefault(ident, handle)
    return out


def followed_in(summary: NarrativeSummary, follows: Mapping[str, str]) -> tuple[str, ...]:
    names = {follows[i] for i in summary.posters if i in follows}
    return tuple(sorted(names))


def mark_summary(summary: NarrativeSummary, follows: Mapping[str, str]) -> NarrativeSummary:
    return dataclasses.replace(summary, followed=followed_in(summary, follows))


def mark_ghosts(result: GhostsResult, follows: Mapping[str, str]) -> GhostsResult:
    if not follows:
        return result
    marked = tuple(mark_summary(s, follows) for s in result.narratives)
    return dataclasses.replace(result, narratives=marked)


def mark_detail(detail: NarrativeDetail, follows: Mapping[str, str]) -> NarrativeDetail:
    if not follows:
        return detail
    return dataclasses.replace(detail, summary=mark_summary(detail.summary, follows))
