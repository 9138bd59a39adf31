"""Engine checkpoint rows: save one, list the newest, discard bad ones, keep only a few."""

from __future__ import annotations

from datetime import datetime

from storage.models import EngineCheckpoint


async def save_checkpoint(
    data: bytes, version: int, stream_time: datetime | None, keep: int = 3
) -> int:
    """Store a checkpoint and delete all but the `keep` newest; returns the new row id."""
    row = await EngineCheckpoint.create(version=version, data=data, stream_time=stream_time)
    stale = (
        await EngineCheckpoint.all()
        .order_by("-id")
        .offset(max(keep, 1))
        .values_list("id", flat=True)
    )
    if stale:
        await EngineCheckpoint.filter(id__in=list(stale)).delete()
    return int(row.id)


async def checkpoint_ids() -> list[int]:
    """Ids of stored checkpoints, newest first."""
    rows = await EngineCheckpoint.all().order_by("-id").only("id")
    return [int(r.id) for r in rows]


async def load_checkpoint(checkpoint_id: int) -> tuple[int, bytes] | None:
    """(version, data) of one checkpoint, or None when it is gone."""
    row = await EngineCheckpoint.get_or_none(id=checkpoint_id)
    if row is None:
        return None
    return int(row.version), bytes(row.data)


async def delete_checkpoint(checkpoint_id: int) -> None:
    await EngineCheckpoint.filter(id=checkpoint_id).delete()
