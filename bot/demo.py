"""`ghostwatch demo`: replay the bundled stream through the same pipeline as `run`, fast.

The bundled stream (bot/data, built by bot/demo_stream.py) is shifted so that it ends at the
moment the demo starts, then replayed at `speed` x real time through `App`, exactly as
`ghostwatch run` would read a `replay:` source. Alerts print to the console as they fire, and
go to the chats that enabled alerts when chat tokens are set. The recorded token launches are
released when the engine's stream time reaches them, like a token source would report them.
The run uses its own throw-away SQLite database, so it never touches the bot's data; only the
chat subscriptions are copied from the configured database.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import msgspec

from bot.app import App, Scoring
from bot.config import Settings, load_settings
from bot.demo_stream import LAUNCHES_FILE, MINUTES, POSTS_FILE, read_launches
from bot.engine.generator import START
from bot.engine.types import AlertEvent
from bot.posts import Post
from bot.tokens.matcher import NarrativeRef, match_tokens
from bot.tokens.types import TokenLaunch
from storage import db
from storage import subscriptions as sub_store
from storage.models import Subscription

log = logging.getLogger(__name__)

DEFAULT_SPEED = 900.0  # 15 minutes of stream per second: 3.5 h of posts in about 14 s
WATCH_EVERY = 0.1  # seconds between looks at the engine's stream time
SUBSCRIPTION_FIELDS = ("guild_id", "threshold", "language", "quiet_leaders", "quiet_phrases")


@dataclass(frozen=True, slots=True)
class DemoStream:
    """The bundled stream, shifted to end now and written where the replay source reads it."""

    path: Path
    posts: int
    sources: tuple[str, ...]
    start: datetime
    end: datetime
    launches: tuple[TokenLaunch, ...]


def prepare_stream(
    directory: Path,
    now: datetime,
    posts_file: Path = POSTS_FILE,
    launches_file: Path = LAUNCHES_FILE,
) -> DemoStream:
    """Write the bundled posts to `directory`/demo.jsonl, moved in time so they end at `now`."""
    start = now - timedelta(minutes=MINUTES)
    shift = start - START
    target = directory / "demo.jsonl"
    count = 0
    sources: set[str] = set()
    with gzip.open(posts_file, "rb") as src, target.open("w", encoding="utf-8") as out:
        for line in src:
            post = Post.from_line(line)
            moved = msgspec.structs.replace(post, created_at=post.created_at + shift)
            out.write(json.dumps(moved.to_json(), ensure_ascii=False) + "\n")
            count += 1
            sources.add(post.source)
    launches = tuple(launch.at(start) for launch in read_launches(launches_file))
    return DemoStream(target, count, tuple(sorted(sources)), start, now, launches)


class LaunchFeed:
    """Recorded token launches, handed out once the stream reaches their launch time."""

    def __init__(self, launches: Sequence[TokenLaunch]) -> None:
        self._waiting = sorted(launches, key=lambda launch: launch.seen_at)

    def due(self, stream_now: datetime | None) -> list[TokenLaunch]:
        if stream_now is None:
            return []
        ready = [launch for launch in self._waiting if launch.seen_at <= stream_now]
        self._waiting = self._waiting[len(ready) :]
        return ready

    @property
    def done(self) -> bool:
        return not self._waiting


def demo_settings(database_url: str, replay: Path, speed: float) -> Settings:
    """The environment's settings (chat tokens and API URLs) with the demo's own intake."""
    return load_settings(
        database_url=database_url,
        auto_migrate=True,
        sources=f"replay:{replay}?speed={speed:g}",
        score_interval=0.5,
        poll_interval=1.0,
        checkpoint_interval=3600.0,
        alert_threshold=60.0,
        engine_warmup_minutes=None,
        http_port=0,  # never collide with a running bot's health server
        telegram_read_chats=[],
        discord_read_channels=[],
    )


def _database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there (connecting would create it)."""
    if not url.startswith("sqlite://"):
        return True
    return Path(url.removeprefix("sqlite://")).is_file()


async def copy_subscriptions(source_url: str, target_url: str) -> int:
    """Copy the chats that enabled alerts from the bot's database into the demo's database."""
    wanted: list[dict[str, Any]] = []
    if not await asyncio.to_thread(_database_exists, source_url):
        return 0  # no bot database yet, so no chat has enabled alerts (and none is created)
    try:
        await db.connect(source_url)
        rows = await Subscription.filter(enabled=True, platform__in=["telegram", "discord"])
        for row in rows:
            wanted.append(
                {"platform": row.platform, "chat_id": row.chat_id}
                | {name: getattr(row, name) for name in SUBSCRIPTION_FIELDS}
            )
    except Exception as exc:  # no database yet, or not reachable: the console still works
        log.warning("demo: could not read the chats that enabled alerts: %s", exc)
    finally:
        await db.close()
    await db.open_storage(target_url)
    try:
        for entry in wanted:
            platform, chat_id = entry.pop("platform"), entry.pop("chat_id")
            await sub_store.upsert(platform, chat_id, defaults={**entry, "enabled": True})
    finally:
        await db.close()
    return len(wanted)


async def run_demo_async(
    settings: Settings, stream: DemoStream, out: TextIO
) -> tuple[int, list[AlertEvent], Scoring | None]:
    """Run the bot over the stream until it has all been scored; returns (exit code, alerts)."""
    alerts: list[AlertEvent] = []
    app = App(settings, console_alerts=True, on_alerts=alerts.extend)
    task = asyncio.create_task(app.run())
    feed = LaunchFeed(stream.launches)
    scoring: Scoring | None = None
    while not task.done():
        scoring = app.scoring
        if scoring is not None:
            scoring.scheduler.add_launches(feed.due(scoring.engine.now))
            if scoring.pipeline.posts_seen >= stream.posts and scoring.pipeline.buffered == 0:
                scoring.scheduler.add_launches(feed.due(stream.end))
                break
        await asyncio.sleep(WATCH_EVERY)
    app.stop_requested.set()  # the same ordered shutdown as SIGTERM: final tick, token flush
    code = await task
    return code, alerts, scoring


def run_demo(*, speed: float = DEFAULT_SPEED, out: TextIO | None = None) -> int:
    """`ghostwatch demo`; returns the process exit code."""
    stdout = out or sys.stdout
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="ghostwatch-demo-") as tmp:
        directory = Path(tmp)
        stream = prepare_stream(directory, now)
        url = f"sqlite://{(directory / 'demo.sqlite3').as_posix()}"
        settings = demo_settings(url, stream.path, speed)
        configured = load_settings()
        if settings.telegram_token is not None or settings.discord_token is not None:
            chats = asyncio.run(copy_subscriptions(configured.resolved_database_url, url))
            print(f"demo: alerts also go to {chats} chat(s) that enabled alerts", file=stdout)
        minutes_per_second = speed / 60
        print(
            f"ghostwatch demo: replaying {_duration(stream.end - stream.start)} of bundled posts "
            f"({stream.posts:,} posts from {len(stream.sources)} sources) at "
            f"{minutes_per_second:g} min of stream per second. Alerts print as they fire.\n",
            file=stdout,
            flush=True,
        )
        started = datetime.now(UTC)
        code, alerts, _scoring = asyncio.run(run_demo_async(settings, stream, stdout))
        elapsed = datetime.now(UTC) - started
        print(summary(stream, alerts, elapsed), file=stdout, flush=True)
    return code


# -- the closing summary ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AlertedNarrative:
    label: str
    fired_at: datetime
    score: float
    leader: str | None
    seed_at: datetime | None
    first_launch: TokenLaunch | None


def alerted(
    alerts: Sequence[AlertEvent], launches: Sequence[TokenLaunch]
) -> list[AlertedNarrative]:
    """Each narrative's first alert, with the first strongly matching token launch."""
    first: dict[str, AlertEvent] = {}
    for alert in alerts:
        first.setdefault(alert.narrative.key, alert)
    refs = [
        NarrativeRef(
            key=event.narrative.key,
            phrases=tuple(dict.fromkeys((event.narrative.phrase, *event.narrative.phrases))),
            seed_at=event.narrative.seed_post.created_at if event.narrative.seed_post else None,
        )
        for event in first.values()
    ]
    launched: dict[str, TokenLaunch] = {}
    for match in match_tokens(list(launches), refs):
        if not match.strong:
            continue
        known = launched.get(match.narrative_key)
        if known is None or _launch_time(match.token) < _launch_time(known):
            launched[match.narrative_key] = match.token
    out = []
    for key, event in first.items():
        view = event.narrative
        out.append(
            AlertedNarrative(
                label=view.label,
                fired_at=event.fired_at,
                score=view.score,
                leader=view.leader,
                seed_at=view.seed_post.created_at if view.seed_post else None,
                first_launch=launched.get(key),
            )
        )
    return sorted(out, key=lambda item: item.fired_at)


def _launch_time(launch: TokenLaunch) -> datetime:
    return launch.launched_at or launch.seen_at


def _duration(span: timedelta) -> str:
    minutes = max(0, round(span.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _clock(start: datetime, moment: datetime) -> str:
    """A moment as hours:minutes into the stream ("2:32")."""
    minutes = max(0, int((moment - start).total_seconds() // 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def summary(stream: DemoStream, alerts: Sequence[AlertEvent], elapsed: timedelta) -> str:
    """One screen: what was found, when, and how early compared with the token launches."""
    found = alerted(alerts, stream.launches)
    lines = [
        "── ghostwatch demo: summary " + "─" * 40,
        f"Replayed {_duration(stream.end - stream.start)} of stream ({stream.posts:,} posts, "
        f"{len(stream.launches)} token launches) in {elapsed.total_seconds():.0f} s.",
        f"Narratives alerted: {len(found)}  (times are hours:minutes into the stream)",
    ]
    ahead: list[tuple[timedelta, AlertedNarrative]] = []
    for item in found:
        seeded = ""
        if item.seed_at is not None:
            by = f" by @{item.leader}" if item.leader else ""
            seeded = (
                f", first said{by} at {_clock(stream.start, item.seed_at)} "
                f"({_duration(item.fired_at - item.seed_at)} earlier)"
            )
        lines.append(f"  • {item.label}: alerted at {_clock(stream.start, item.fired_at)}{seeded}")
        token = item.first_launch
        if token is None:
            lines.append("      no token launched on it in the stream")
            continue
        at = _launch_time(token)
        gap = at - item.fired_at
        when = "after" if gap >= timedelta(0) else "before"
        lines.append(
            f"      first token ${token.symbol} ({token.name}, {token.chain}) launched at "
            f"{_clock(stream.start, at)}, {_duration(abs(gap))} {when} the alert"
        )
        if gap > timedelta(0):
            ahead.append((gap, item))
    if ahead:
        gap, item = max(ahead, key=lambda pair: pair[0])
        lines.append(
            f"ghostwatch flagged “{item.label}” {_duration(gap)} before the first token "
            "launch on it."
        )
    elif not found:
        lines.append("No alert fired. Run it again with GHOSTWATCH_LOG_LEVEL=INFO to see why.")
    lines.append("Next: `ghostwatch run` reads live sources; see README for chats and replays.")
    return "\n".join(lines)
