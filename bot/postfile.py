"""Reading post files (JSON Lines, plain or gzip) in blocks of lines, with a bound on line length.

The one reader every file consumer shares (backtest, bench, the replay source), so a new
container format or a folder of files is added here once.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20  # a post line is a few KB; a longer one is skipped, never held whole
BLOCK_BYTES = 1 << 20  # bytes read per block
GZIP_MAGIC = b"\x1f\x8b"



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
    """An open post file: `blocks()` yields its lines in order, without newlines.

    Gzip is recognised by its magic bytes, whatever the file is called. A line longer than
    MAX_LINE_BYTES comes out as None and its bytes are discarded as they are read, so memory
    stays bounded whatever the file holds. Read errors, including a corrupt or truncated gzip
    stream, raise OSError.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_line: int = MAX_LINE_BYTES) -> None:
        self.path = os.fspath(path)
        self.max_line = max_line
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self.size = os.fstat(self._raw.fileno()).st_size
            self.compressed = self._raw.read(2) == GZIP_MAGIC
            self._raw.seek(0)
        except OSError:
            self._raw.close()
            raise
        self.consumed = 0
        self._reader: BinaryIO | gzip.GzipFile = (
            gzip.GzipFile(fileobj=self._raw, mode="rb") if self.compressed else self._raw
        )

    def position(self) -> int:
        """Bytes of the file itself consumed so far (compressed bytes for gzip), for progress."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def seek(self, offset: int) -> None:
        """Continue from `offset` bytes into the decompressed content (a line start)."""
        try:
            self._reader.seek(offset)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise OSError(f"corrupt compressed data: {exc}") from exc
        self.consumed = offset

    def _read(self, size: int) -> bytes:
        try:
            return self._reader.read(size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise OSError(f"corrupt compressed data: {exc}") from exc

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
            out.extend(p if len(p) <= limit else TooLong(len(p)) for p in parts[1:-1])
            tail = parts[-1]
            pending_len = len(tail)
            pending = [tail] if tail and pending_len <= limit else []
            yield out
        if pending_len:
            self.consumed += pending_len
            yield [b"".join(pending) if pending_len <= limit else TooLong(pending_len)]

    def close(self) -> None:
        try:
            if self._reader is not self._raw:
                self._reader.close()
        finally:
            self._raw.close()

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
