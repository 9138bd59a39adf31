"""`ghostwatch record OUT.jsonl[.gz]`: write every post the sources read, in the replay format.

No engine and no chats: the configured post sources (or `--sources`) feed a writer, and
Telegram chats in GHOSTWATCH_TELEGRAM_READ_CHATS are read too. Nothing is lost or written
twice across restarts:
- posts are written and fsynced first, and only then are the source cursors that produced them
  saved (atomically) beside the output, so a restart never resumes past an unwritten post;
- a restart after a crash may re-read a few posts from before the last saved cursor, so the
  writer remembers the newest posts' (source, id) keys and skips those it already wrote;
- SIGTERM or SIGINT stops the sources, then writes, fsyncs and closes everything.

`--rotate 100MB` starts a new file when the current one reaches that size on disk; `--rotate
hour` starts one every hour. Rotated files go into a folder named after OUT (`posts.jsonl.gz`
-> `posts/posts-20260301T120000Z.jsonl.gz`), which `backtest` and `replay:` read as one stream.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gzip
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from bot.config import ConfigError, Settings
from bot.ops.cursors import CheckpointedCursors
from bot.ops.startup import install_signal_handlers
from bot.posts import Post, PostFormatError
from bot.recordings import open_recording, recording_files
from bot.scheduler import ScanScheduler
from bot.sources.base import CursorStore, SeenSet, StreamSource
from bot.sources.spec import SourceSpec
from bot.tokens.matcher import NarrativeRef

log = logging.getLogger(__name__)

SEEN_KEYS = 100_000  # newest written posts remembered to skip re-reads after a restart
FLUSH_SECONDS = 2.0
ROTATE_CHECK_EVERY = 100  # posts between size/hour checks inside one batch
CURSORS_NAME = "cursors.json"
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000}


class RotateKind(StrEnum):
    NONE = "none"
    SIZE = "size"
    HOUR = "hour"


@dataclass(frozen=True, slots=True)
class Rotation:
    kind: RotateKind = RotateKind.NONE
    max_bytes: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Rotation:
        """`None` (one file), `hour`, or a size such as `500MB`, `2GB`, `1000000`."""
        if text is None:
            return cls()
        value = text.strip().lower()
        if value in ("hour", "hourly", "1h"):
            return cls(RotateKind.HOUR)
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"--rotate takes hour or a size like 100MB, got {text[:40]!r}")
        size = int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])
        if size < 1000:
            raise ValueError("--rotate size must be at least 1000 bytes")
        return cls(RotateKind.SIZE, size)


def _split_name(out: Path) -> tuple[str, str]:
    """("posts", ".jsonl.gz") for posts.jsonl.gz; plain .jsonl otherwise."""
    name = out.name
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    raise ValueError(f"the output must end in .jsonl or .jsonl.gz, got {name[:80]!r}")


class FileCursorStore:
    """Source cursors in one JSON file, replaced atomically on every write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, str] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            log.warning("record: ignoring unreadable cursor file %s: %s", path.name, exc)
            data = {}
        if isinstance(data, dict):
            self.values = {str(k): str(v) for k, v in data.items()}

    async def get(self, source: str) -> str | None:
        return self.values.get(source)

    async def set(self, source: str, cursor: str) -> None:
        self.values[source] = cursor
        await asyncio.to_thread(self._save, dict(self.values))

    def _save(self, values: dict[str, str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(values, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


class PostWriter:
    """Appends posts as JSON Lines to OUT (or rotated files in OUT's folder), skipping repeats."""

    def __init__(self, out: Path, rotation: Rotation, clock: Any = None) -> None:
        self.stem, self.suffix = _split_name(out)
        self.rotation = rotation
        self.clock = clock or (lambda: datetime.now(UTC))
        self.folder = out.parent / self.stem if rotation.kind is not RotateKind.NONE else None
        self.single = out if self.folder is None else None
        self.seen = SeenSet(SEEN_KEYS)
        self.written = 0
        self.repeats = 0
        self.files: list[Path] = []
        self._raw: BinaryIO | None = None
        self._handle: BinaryIO | None = None
        self._path: Path | None = None
        self._hour: tuple[int, int, int, int] | None = None

    @property
    def cursor_path(self) -> Path:
        if self.folder is not None:
            return self.folder / CURSORS_NAME
        assert self.single is not None
        return self.single.with_name(self.single.name + ".cursors.json")

    def prepare(self) -> None:
        """Create the folder and remember the newest written posts (blocking; call once)."""
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            existing = recording_files(self.folder) if any(self.folder.iterdir()) else []
        else:
            assert self.single is not None
            self.single.parent.mkdir(parents=True, exist_ok=True)
            existing = [self.single] if self.single.exists() else []
        if existing:
            self._remember(existing[-1])

    def _remember(self, path: Path) -> None:
        keys: collections.deque[tuple[str, str]] = collections.deque(maxlen=SEEN_KEYS)
        with open_recording(path) as handle:
            for line in handle:
                if line.strip():
                    try:
                        post = Post.from_line(line)
                    except PostFormatError:
                        continue
                    keys.append((post.source, post.id))
        for key in keys:
            self.seen.add(key)
        if keys:
            log.info("record: resuming after %d posts already in %s", len(keys), path.name)

    def write(self, posts: Sequence[Post]) -> int:
        """Write the posts not written before; returns how many were new (blocking)."""
        new = 0
        for post in posts:
            if not self.seen.add((post.source, post.id)):
                self.repeats += 1
                continue
            handle = self._current()
            handle.write((json.dumps(post.to_json(), ensure_ascii=False) + "\n").encode())
            new += 1
            if new % ROTATE_CHECK_EVERY == 0 and self._due():
                self._close_current()
        self.written += new
        return new

    def flush(self) -> None:
        """Make everything written so far durable (blocking), then rotate if due."""
        if self._handle is None or self._raw is None:
            return
        self._handle.flush()
        if self._raw is not self._handle:
            self._raw.flush()
        os.fsync(self._raw.fileno())
        if self._due():
            self._close_current()

    def close(self) -> None:
        if self._handle is not None:
            self.flush()
        self._close_current()

    def _due(self) -> bool:
        if self.rotation.kind is RotateKind.SIZE and self._raw is not None:
            # compressed bytes reach the file in blocks, so a .gz file rotates a little late
            return self._raw.tell() >= self.rotation.max_bytes
        if self.rotation.kind is RotateKind.HOUR:
            return self._hour != self._hour_of(self.clock())
        return False

    @staticmethod
    def _hour_of(moment: datetime) -> tuple[int, int, int, int]:
        return (moment.year, moment.month, moment.day, moment.hour)

    def _current(self) -> BinaryIO:
        if self._handle is not None:
            return self._handle
        now = self.clock()
        if self.folder is None:
            assert self.single is not None
            path = self.single
        else:
            path = self.folder / f"{self.stem}-{now:%Y%m%dT%H%M%S}Z{self.suffix}"
            n = 1
            while path.exists():  # two rotations in one second
                path = self.folder / f"{self.stem}-{now:%Y%m%dT%H%M%S}Z-{n}{self.suffix}"
                n += 1
        raw = path.open("ab")
        # A resumed .gz file gets a new gzip member; readers treat members as one stream.
        handle: BinaryIO = (
            gzip.GzipFile(fileobj=raw, mode="ab")  # type: ignore[assignment]
            if self.suffix.endswith(".gz")
            else raw
        )
        self._raw, self._handle, self._path = raw, handle, path
        self._hour = self._hour_of(now)
        self.files.append(path)
        return handle

    def _close_current(self) -> None:
        if self._handle is not None and self._handle is not self._raw:
            self._handle.close()
        if self._raw is not None:
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
        self._raw = self._handle = self._path = None


class Recorder:
    """Stands where the scoring pipeline would: takes posts, and on each tick writes them."""

    def __init__(self, writer: PostWriter, cursors: CheckpointedCursors) -> None:
        self.writer = writer
        self.cursors = cursors
        self._buffer: list[Post] = []
        self._lock = asyncio.Lock()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def add(self, posts: Sequence[Post]) -> None:
        self._buffer.extend(posts)

    def phrases(self, limit: int = 10) -> list[str]:
        return []  # no engine: phrase-searching sources search only their own queries

    def narrative_refs(self) -> list[NarrativeRef]:
        return []

    async def tick(self, now: datetime | None = None) -> None:
        """Write and fsync the buffered posts, then save the cursors that produced them."""
        async with self._lock:
            # Cursors first captured, then posts taken: every cursor saved below belongs to
            # posts that are already in the batch being written.
            save_cursors = self.cursors.capture()
            batch, self._buffer = self._buffer, []  # kept in arrival order, as read
            await asyncio.to_thread(self._write, batch)
            await save_cursors()

    def _write(self, batch: list[Post]) -> None:
        if batch:
            self.writer.write(batch)
        self.writer.flush()


def record_settings(settings: Settings, sources: str | None) -> Settings:
    """Post sources only (token sources have nothing to record), written every 2 s."""
    from bot.config import load_settings
    from bot.sources.registry import parse_sources

    chosen = settings.sources if sources is None else sources
    specs = [spec for spec in parse_sources(chosen) if not spec.is_token_source]
    return load_settings(sources=",".join(_entry(spec) for spec in specs)).model_copy(
        update={"score_interval": FLUSH_SECONDS}
    )


def _entry(spec: SourceSpec) -> str:
    target = f":{spec.target}" if spec.target else ""
    options = "&".join(f"{k}={v}" for k, v in spec.options.items())
    return f"{spec.kind}{target}" + (f"?{options}" if options else "")


class RecordingScheduler(ScanScheduler):
    """The scan scheduler, but posts are taken even while it stops: a poll still running at
    SIGTERM has already advanced its cursor, so dropping its posts would lose them."""

    def add_posts(self, posts: Iterable[Post]) -> None:
        self.pipeline.add(list(posts))

    async def match_tokens(self) -> int:
        return 0  # recordings have no token sources, and no database to match in

    async def prune(self) -> None:
        """A recording opens no database: nothing to prune."""


async def _start_telegram_intake(settings: Settings, sink: Any) -> Any:
    """Only the chat reader of the Telegram front end: no commands, nothing sent."""
    from telegram.ext import ApplicationBuilder

    from bot.telegram.app import READING_UPDATES
    from bot.telegram.intake import ChatScope, TelegramIntake

    assert settings.telegram_token is not None
    api = settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .job_queue(None)
        .build()
    )
    TelegramIntake(ChatScope(settings.telegram_read_chats), sink).install(app)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=READING_UPDATES, drop_pending_updates=False)
    log.info("record: reading Telegram chats %s", ",".join(settings.telegram_read_chats))
    return app


async def _stop_telegram(app: Any) -> None:
    # The updater's stop confirms the updates already handled, so Telegram does not resend
    # them; the posts they carried are in the recorder's buffer and written by the final tick.
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def record(settings: Settings, out: Path, rotation: Rotation) -> int:
    writer = PostWriter(out, rotation)
    await asyncio.to_thread(writer.prepare)
    durable: CursorStore = FileCursorStore(writer.cursor_path)
    cursors = CheckpointedCursors(durable)
    recorder = Recorder(writer, cursors)
    scheduler = RecordingScheduler(
        settings,
        recorder,  # type: ignore[arg-type]  # stands where the ScoringPipeline would
        cursors=cursors,
    )
    reads_telegram = bool(settings.telegram_read_chats) and settings.telegram_token is not None
    if settings.telegram_read_chats and settings.telegram_token is None:
        raise ConfigError("GHOSTWATCH_TELEGRAM_READ_CHATS needs GHOSTWATCH_TELEGRAM_TOKEN")
    for skipped in scheduler.sources.skipped:
        log.warning("source skipped: %s", skipped)
    if not scheduler.sources.posts and not reads_telegram:
        raise ConfigError("record: no post source to read (set GHOSTWATCH_SOURCES or --sources)")
    stop = asyncio.Event()
    remove = install_signal_handlers(asyncio.get_running_loop(), lambda _name: stop.set())
    telegram = None
    try:
        await scheduler.start()
        if reads_telegram:
            telegram = await _start_telegram_intake(settings, scheduler.add_posts)
        where = writer.folder or out
        print(f"record: writing posts to {where} (Ctrl-C or SIGTERM stops)", flush=True)
        streams = [s for s in scheduler.sources.posts if isinstance(s, StreamSource)]
        finite = not reads_telegram and len(streams) == len(scheduler.sources.posts)
        while not stop.is_set():
            if finite and all(s.finished for s in streams):
                break  # every source was a replay file, read to its end
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
        if telegram is not None:
            await _stop_telegram(telegram)
            telegram = None
        await scheduler.stop(grace=5.0)  # its final tick writes what is left
    finally:
        if telegram is not None:
            await _stop_telegram(telegram)
        await asyncio.to_thread(writer.close)
        remove()
    files = len(writer.files)
    print(
        f"record: {writer.written} posts written to {files} file(s), "
        f"{writer.repeats} already-written posts skipped",
        flush=True,
    )
    return 0


def run_record(settings: Settings, out: str, rotate: str | None, sources: str | None) -> int:
    """`ghostwatch record`; returns the exit code (2 for bad arguments)."""
    try:
        rotation = Rotation.parse(rotate)
        _split_name(Path(out))
        chosen = record_settings(settings, sources)
    except (ValueError, ConfigError) as exc:
        raise ConfigError(str(exc)) from None
    return asyncio.run(record(chosen, Path(out), rotation))
