"""SourceCursor rows: where each source resumes after a restart."""

from __future__ import annotations

from storage.models import SourceCursor


class DbCursorStore:
    """The CursorStore of bot.sources.base, backed by the source_cursors table."""

    async def get(self, source: str) -> str | None:
        row = await SourceCursor.get_or_none(source=source)
        return row.cursor if row else None

    async def set(self, source: str, cursor: str) -> None:
        await SourceCursor.update_or_create(defaults={"cursor": cursor}, source=source)
