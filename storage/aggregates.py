"""PostBatch rows: post batches written by ingest processes, read once by the scorer."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from storage.models import PostBatch


async def write_batch(producer: str, minute: datetime, payload: bytes) -> int:
    row = await PostBatch.create(producer=producer, minute=minute, payload=payload)
    return int(row.id)


async def unconsumed(
    exclude: Collection[int] = (), limit: int = 200
) -> list[tuple[int, datetime, bytes]]:
    """(id, minute, payload) of rows not yet consumed, oldest minute first."""
    query = PostBatch.filter(consumed=False)
    if exclude:
        query = query.exclude(id__in=list(exclude))
    rows = await query.order_by("minute", "id").limit(limit)
    return [(int(r.id), r.minute, bytes(r.payload)) for r in rows]


async def mark_consumed(ids: Collection[int]) -> int:
    if not ids:
        return 0
    return int(await PostBatch.filter(id__in=list(ids)).update(consumed=True))


async def prune_consumed(before: datetime) -> int:
    """Delete consumed rows whose minute is older than `before`."""
    return int(await PostBatch.filter(consumed=True, minute__lt=before).delete())


async def backlog() -> int:
    return int(await PostBatch.filter(consumed=False).count())
