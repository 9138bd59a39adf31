"""Reading recorded posts: one `.jsonl` or `.jsonl.gz` file, or a folder of rotated files.

`ghostwatch record --rotate` writes a folder of files; `backtest` and `replay:` read such a
folder as one stream, file after file in time order (by each file's first post, then name).
Gzip files may hold several members (a recording resumed after a restart appends one), and a
last member cut short by a crash ends that file instead of failing the read.
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from pathlib import Path
from typing import BinaryIO

from bot.posts import Post, PostFormatError

log = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".jsonl.gz")
SKIP_CHUNK = 1 << 16


def is_recording(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES)


def recording_files(path: Path) -> list[Path]:
    """The files a path stands for: itself, or a folder's recordings in time order."""
    if not path.is_dir():
        return [path]
    files = [p for p in path.iterdir() if is_recording(p)]
    return sorted(files, key=lambda p: (_first_time(p), p.name))


def recording_size(path: Path) -> int:
    """Bytes on disk of every file the path stands for (for progress and change detection)."""
    return sum(p.stat().st_size for p in recording_files(path) if p.exists())


def _first_time(path: Path) -> str:
    """The first readable post's time as sortable text; files without one sort first."""
    try:
        with _open_one(path) as handle:
            for _ in range(100):
                line = handle.readline()
                if not line:
                    break
                try:
                    return Post.from_line(line).created_at.isoformat()
                except PostFormatError:
                    continue
    except (OSError, EOFError, zlib.error):
        pass
    return ""


def _open_one(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return io.BufferedReader(_Gunzip(path), buffer_size=SKIP_CHUNK)
    return path.open("rb")


class _Gunzip(io.RawIOBase):
    """Gzip members one after another; a member cut short (a crash while recording) yields
    everything that was flushed into it and then ends, where `gzip` would raise and lose the
    last block it had decompressed."""

    def __init__(self, path: Path) -> None:
        self._raw = path.open("rb")
        self._name = path.name
        self._inflate = zlib.decompressobj(wbits=31)
        self._started = False
        self._out = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._out and not self._eof:
            chunk = self._raw.read(SKIP_CHUNK)
            if not chunk:
                self._eof = True
                if self._started and not self._inflate.eof:
                    log.warning(
                        "%s ends in an unfinished gzip member; read up to there", self._name
                    )
                break
            try:
                data = self._inflate.decompress(chunk)
                self._started = True
                while self._inflate.eof:  # a member ended; the next may begin in the same chunk
                    rest = self._inflate.unused_data
                    self._inflate = zlib.decompressobj(wbits=31)
                    self._started = bool(rest)
                    data += self._inflate.decompress(rest) if rest else b""
            except zlib.error as exc:
                log.warning("%s: corrupt gzip data (%s); read up to there", self._name, exc)
                self._eof = True
                data = b""
            self._out += data
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Chained(io.RawIOBase):
    """The bytes of several files, decompressed, one after the other.

    A newline is put between two files only when the first does not end with one, so the
    bytes of a single file are exactly its own (replay cursors count them).
    """

    def __init__(self, files: list[Path]) -> None:
        self._files: list[Path] = list(files)
        self._current: BinaryIO | None = None
        self._name = ""
        self._between = b""
        self._last = b"\n"
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Decompressed bytes handed out so far (progress only; the stream cannot seek)."""
        return self.consumed

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            if self._between:
                n = min(len(buffer), len(self._between))
                buffer[:n] = self._between[:n]
                self._between = self._between[n:]
                self.consumed += n
                self._last = b"\n"
                return n
            if self._current is None:
                if not self._files:
                    return 0
                following = self._files.pop(0)
                self._current, self._name = _open_one(following), following.name
            try:
                n = self._current.readinto(buffer)  # type: ignore[attr-defined]
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                log.warning("%s ends early (%s); reading on with the next file", self._name, exc)
                n = 0
            if n:
                self.consumed += n
                self._last = bytes(buffer[n - 1 : n])
                return int(n)
            self._current.close()
            self._current = None
            if self._files and self._last != b"\n":
                self._between = b"\n"  # keep the last line of one file apart from the next

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()


def open_recording(path: Path) -> io.BufferedReader:
    """A binary line reader over a file or folder of recordings (plain or gzip)."""
    files = recording_files(path)
    if not files or not all(p.is_file() for p in files):
        missing = next((p for p in files if not p.is_file()), path)
        raise FileNotFoundError(f"no such recording: {missing}")
    return io.BufferedReader(_Chained(files), buffer_size=SKIP_CHUNK)


def skip(handle: io.BufferedReader, count: int) -> int:
    """Read past the first `count` bytes (a resume offset); returns how many were skipped."""
    done = 0
    while done < count:
        chunk = handle.read(min(SKIP_CHUNK, count - done))
        if not chunk:
            break
        done += len(chunk)
    return done
