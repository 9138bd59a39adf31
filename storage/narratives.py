"""Narrative rows and their score history, written by the scoring pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot.engine.types import Lifecycle, NarrativeView
from bot.posts import format_time
from storage.models import Narrative, ScorePoint

LABEL_CHARS = 300
KEY_CHARS = 200
FIRST_SEEN_SLACK = 1.0  # seconds; checkpoints keep times as float timestamps


def _fields(view: NarrativeView, at: datetime) -> dict[str, Any]:
    seed = view.seed_post
    return {
        "label": view.label[:LABEL_CHARS],
        "phrase": view.phrase[:LABEL_CHARS],
        # The folded forms (what watch lists and lookups match) and how people spell them.
        "phrases": list(dict.fromkeys((*view.phrases, *view.forms))),
        "state": view.state,
        "score": float(view.score),
        "breakdown": view.breakdown.to_json(),
        "episode": view.episode,
        "authors": view.authors,
        "mentions": view.mentions,
        "sources": list(view.sources),
        "first_seen": view.first_seen,
        "seed_leader": view.leader,
        "seed_post_id": seed.id[:300] if seed else None,
        "seed_post_url": seed.url[:1000] if seed and seed.url else None,
        "seed_post_at": seed.created_at if seed else None,
        "top_posts": [post.to_json() for post in view.top_posts],
        "series": [[format_time(moment), count] for moment, count in view.series],
        "updated_at": at,
    }


async def save_views(views: Sequence[NarrativeView], at: datetime) -> dict[str, int]:
    """Upsert one Narrative row per view (by key) and append a ScorePoint; returns key -> id."""
    ids: dict[str, int] = {}
    if not views:
        return ids
    async with in_transaction():
        keys = [view.key[:KEY_CHARS] for view in views]
        existing = {row.key: row for row in await Narrative.filter(key__in=keys)}
        points = []
        for view, key in zip(views, keys, strict=True):
            fields = _fields(view, at)
            row = existing.get(key)
            if row is None:
                row = await Narrative.create(key=key, **fields)
            else:
                fields["episode_offset"] = episode_offset(row, view)
                fields["episode"] = view.episode + fields["episode_offset"]
                row.update_from_dict(fields)
                await row.save()
            ids[key] = row.id
            points.append(
                ScorePoint(
                    narrative_id=row.id,
                    at=at,
                    score=float(view.score),
                    mentions=view.mentions,
                    authors=view.authors,
                )
            )
        await ScorePoint.bulk_create(points)
    return ids


def episode_offset(row: Narrative, view: NarrativeView) -> int:
    """The offset that keeps the row's episodes from repeating across engine lifetimes.

    The engine numbers a narrative's viral episodes itself, and remembers them only as long as
    its state lives: after a lost or incompatible checkpoint it starts again from 0, and meets
    the narrative later than before, so the view's `first_seen` moves. From then on every
    episode it counts is a new wave, numbered after the stored ones; without this, the first
    new wave would reuse an old (narrative, episode, target) alert key and be skipped as
    already sent. The same posts scored again (a replay, an older checkpoint) keep
    `first_seen` and so their numbers: they are the waves already alerted. A narrative the
    same engine dropped and found again keeps its count in the engine; it may then skip one
    number, never repeat one.
    """
    offset, stored = int(row.episode_offset), int(row.episode)
    if abs((view.first_seen - row.first_seen).total_seconds()) > FIRST_SEEN_SLACK:
        # A count already above 0 in its first save fired in that tick: a wave after `stored`.
        offset = max(offset, stored - view.episode + (1 if view.episode else 0))
    return offset


async def prune_score_points(older_than: datetime) -> int:
    """Delete score history before the given time; returns how many rows went."""
    return await ScorePoint.filter(at__lt=older_than).delete()


async def seed_times() -> dict[str, datetime | None]:
    """Narrative key -> seed post time, for token matching."""
    rows = await Narrative.all().values_list("key", "seed_post_at")
    return {str(key): at for key, at in rows}


ACTIVE_STATES = (Lifecycle.EMERGING, Lifecycle.VIRAL, Lifecycle.COOLING)


async def retire_untracked(tracked_keys: Sequence[str], at: datetime) -> int:
    """Rows still marked active whose narrative the engine no longer tracks become inactive.

    The engine drops a narrative once it has gone quiet, and a wave that fired and faded
    inside one long tick is saved only as its fire-time snapshot; without this, such rows
    would keep showing as viral. Alerted narratives become dormant, others quiet.
    """
    keys = [key[:KEY_CHARS] for key in tracked_keys]
    stale = Narrative.filter(state__in=ACTIVE_STATES).exclude(key__in=keys)
    dormant = await stale.filter(episode__gt=0).update(state=Lifecycle.DORMANT, updated_at=at)
    quiet = await stale.filter(episode=0).update(state=Lifecycle.QUIET, updated_at=at)
    return dormant + quiet
