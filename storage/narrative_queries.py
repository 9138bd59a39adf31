"""Read-side queries over narratives, their score history and matched tokens.

The scoring pipeline owns the writes (storage/narratives.py); this module only reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tortoise.functions import Count

from bot.engine.types import Lifecycle
from storage.models import Narrative, ScorePoint, TokenLaunch, TokenMatch


async def ranked(states: Iterable[Lifecycle], since: datetime, limit: int) -> list[Narrative]:
    """Narratives in `states` updated since `since`, best score first."""
    return (
        await Narrative.filter(state__in=list(states), updated_at__gte=since)
        .order_by("-score", "key")
        .limit(limit)
    )


async def by_id(narrative_id: int) -> Narrative | None:
    return await Narrative.get_or_none(id=narrative_id)


async def by_keys(keys: Iterable[str]) -> list[Narrative]:
    """The rows of these narrative keys (keys not stored yet are left out)."""
    return await Narrative.filter(key__in=list(keys))


async def by_key_or_phrase(canonical: str) -> Narrative | None:
    found = await Narrative.get_or_none(key=canonical)
    if found is None:
        found = await Narrative.filter(phrase=canonical).order_by("-updated_at").first()
    return found


async def recent_names(limit: int) -> list[tuple[int, str, list[str]]]:
    """(id, label, phrases) of the `limit` most recently scored narratives, newest first:
    only the columns a name lookup reads, not whole rows."""
    rows = (
        await Narrative.all()
        .order_by("-updated_at", "key")
        .limit(limit)
        .values_list("id", "label", "phrases")
    )
    return [(int(i), str(label), list(phrases or [])) for i, label, phrases in rows]


async def containing(fragment: str, limit: int) -> list[Narrative]:
    """Narratives whose key contains `fragment`, best score first."""
    return (
        await Narrative.filter(key__icontains=fragment)
        .exclude(state=Lifecycle.QUIET)
        .order_by("-score", "key")
        .limit(limit)
    )


async def chart_points(narrative_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
    """(at, score, mentions) of one narrative's score history since `since`, oldest first."""
    rows = (
        await ScorePoint.filter(narrative_id=narrative_id, at__gte=since)
        .order_by("at")
        .values_list("at", "score", "mentions")
    )
    return [(at, float(score), int(mentions)) for at, score, mentions in rows]


async def last_scores(
    narrative_ids: list[int], since: datetime, count: int
) -> dict[int, list[float]]:
    """The last `count` scores per narrative since `since`, oldest first.

    One small indexed query per narrative (narrative_id, at): a list of 25 narratives reads at
    most 25 x `count` points, not days of history.
    """
    result: dict[int, list[float]] = {}
    for nid in narrative_ids:
        newest = (
            await ScorePoint.filter(narrative_id=nid, at__gte=since)
            .order_by("-at")
            .limit(count)
            .values_list("score", flat=True)
        )
        result[nid] = [float(score) for score in reversed(newest)]
    return result


async def tokens(narrative_ids: list[int]) -> dict[int, list[tuple[TokenMatch, TokenLaunch]]]:
    """Matched token launches per narrative, strong matches only."""
    result: dict[int, list[tuple[TokenMatch, TokenLaunch]]] = {i: [] for i in narrative_ids}
    if not narrative_ids:
        return result
    matches = await TokenMatch.filter(narrative_id__in=narrative_ids, strong=True).prefetch_related(
        "token"
    )
    for match in matches:
        result[int(match.narrative_id)].append((match, match.token))  # type: ignore[attr-defined]
    return result


async def counts_by_state() -> dict[Lifecycle, int]:
    rows = await Narrative.all().group_by("state").annotate(n=Count("id")).values("state", "n")
    return {Lifecycle(r["state"]): int(r["n"]) for r in rows}


async def last_update() -> datetime | None:
    newest = await Narrative.all().order_by("-updated_at").first()
    return newest.updated_at if newest else None


async def alerted_since(since: datetime, limit: int) -> list[Narrative]:
    """Narratives that have had a viral (alerting) episode and were updated since `since`."""
    return (
        await Narrative.filter(episode__gt=0, updated_at__gte=since)
        .order_by("-updated_at", "key")
        .limit(limit)
    )


async def score_history(narrative_ids: list[int], since: datetime) -> dict[int, list[ScorePoint]]:
    """Score points since `since` per narrative, oldest first."""
    out: dict[int, list[ScorePoint]] = {i: [] for i in narrative_ids}
    if not narrative_ids:
        return out
    points = await ScorePoint.filter(narrative_id__in=narrative_ids, at__gte=since).order_by("at")
    for point in points:
        out[point.narrative_id].append(point)  # type: ignore[attr-defined]
    return out
