"""Post files cut into blocks of lines, with a bound on line length.

Bytes come from bot/recordings.py (one `.jsonl` or `.jsonl.gz` file, or a folder of rotated
recordings); this module cuts them into lines for every file consumer (backtest, bench, the
replay source), so a line longer than the bound is never held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from bot.recordings import open_recording, recording_files, recording_size, skip

MAX_LINE_BYTES = 1 << 20  # a post line is a few KB; a longer one is skipped, never held whole
BLOCK_BYTES = 1 << 20  # bytes read per block


class TooLong:
    """Stands in a block for a line longer than the bound (its bytes were never kept), so line
    numbers and byte offsets stay exact."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size  # bytes, without the newline

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TooLong) and other.size == self.size

    def __hash__(self) -> int:
        return hash((TooLong, self.size))

    def __repr__(self) -> str:
        return f"TooLong({self.size})"


Line = bytes | TooLong


class PostFile:
    """An open post file or folder: `blocks()` yields its lines in order, without newlines.

    A line longer than MAX_LINE_BYTES comes out as a TooLong and its bytes are discarded as
    they are read, so memory stays bounded whatever the file holds. `consumed` counts the
    (decompressed) bytes of the lines yielded so far, newlines included: the replay cursor.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_line: int = MAX_LINE_BYTES) -> None:
        self.path = Path(path)
        self.max_line = max_line
        self.size = recording_size(self.path)  # bytes on disk, for progress
        self.compressed = any(p.name.endswith(".gz") for p in recording_files(self.path))
        self.consumed = 0
        self._reader = open_recording(self.path)

    def position(self) -> int:
        """Bytes read so far (decompressed), for progress."""
        return self.consumed

    def seek(self, offset: int) -> None:
        """Continue from `offset` bytes into the decompressed content (a line start)."""
        self.consumed = skip(self._reader, offset)

    def _read(self, size: int) -> bytes:
        return self._reader.read(size)

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[list[Line]]:
        limit = self.max_line
        pending: list[bytes] = []  # pieces of the line not yet ended by a newline
        pending_len = 0  # its length so far (also counted once it is too long to keep)
        while chunk := self._read(block_bytes):
            parts = chunk.split(b"\n")
            if len(parts) == 1:  # no newline: the current line goes on
                pending_len += len(chunk)
                if pending_len <= limit:
                    pending.append(chunk)
                else:
                    pending = []
                continue
            out: list[Line] = []
            head = parts[0]
            self.consumed += pending_len + len(chunk) - len(parts[-1])
            size = pending_len + len(head)
            if size > limit:
                out.append(TooLong(size))
            else:
                out.append(b"".join((*pending, head)) if pending else head)
            body = parts[1:-1]
            if body and max(map(len, body)) > limit:  # rare: look line by line only then
                out.extend(p if len(p) <= limit else TooLong(len(p)) for p in body)
            else:
                out.extend(body)
            tail = parts[-1]
            pending_len = len(tail)
            pending = [tail] if tail and pending_len <= limit else []
            yield out
        if pending_len:
            self.consumed += pending_len
            yield [b"".join(pending) if pending_len <= limit else TooLong(pending_len)]

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> PostFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def iter_post_lines(path: str | os.PathLike[str]) -> Iterator[Line]:
    """Every line of a post file in order (a TooLong for an over-long line)."""
    with PostFile(path) as handle:
        for block in handle.blocks():
            yield from block


def is_blank(line: bytes) -> bool:
    return not line or line.isspace()


__all__ = ["MAX_LINE_BYTES", "Line", "PostFile", "TooLong", "is_blank", "iter_post_lines"]
