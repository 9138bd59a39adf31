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

# An over-long line is reported as None in a block, so line numbers stay exact.
Line = bytes | None


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
        """Continue from `offset` bytes into the decompressed content."""
        self._reader.seek(offset)

    def _read(self, size: int) -> bytes:
        try:
            return self._reader.read(size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise OSError(f"corrupt compressed data: {exc}") from exc

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[list[Line]]:
        limit = self.max_line
        pending: list[bytes] = []  # pieces of the line not yet ended by a newline
        pending_len = 0
        oversize = False
        while chunk := self._read(block_bytes):
            parts = chunk.split(b"\n")
            if len(parts) == 1:  # no newline: the current line goes on
                if not oversize:
                    pending.append(chunk)
                    pending_len += len(chunk)
                    if pending_len > limit:
                        oversize, pending, pending_len = True, [], 0
                continue
            out: list[Line] = []
            head = parts[0]
            if oversize:
                out.append(None)
            else:
                line = b"".join((*pending, head)) if pending else head
                out.append(line if len(line) <= limit else None)
            out.extend(p if len(p) <= limit else None for p in parts[1:-1])
            tail = parts[-1]
            oversize = len(tail) > limit
            pending = [tail] if tail and not oversize else []
            pending_len = 0 if oversize else len(tail)
            yield out
        if oversize:
            yield [None]
        elif pending:
            yield [b"".join(pending)]

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
    """Every line of a post file in order (None for an over-long line)."""
    with PostFile(path) as handle:
        for block in handle.blocks():
            yield from block


def is_blank(line: bytes) -> bool:
    return not line or line.isspace()


__all__ = ["MAX_LINE_BYTES", "Line", "PostFile", "is_blank", "iter_post_lines"]
