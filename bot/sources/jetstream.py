"""Bluesky Jetstream: a websocket of repository commits; we keep created posts."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.metrics import POSTS_INGESTED
from bot.posts import Post, PostFormatError, parse_time
from bot.sources.base import CursorStore, SeenSet, Sink, StreamSource, load_json_cursor
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target, parse_leader_dids

__all__ = ["JetstreamSource", "expand_links", "parse_event", "parse_leader_dids"]

log = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
REWIND_US = 5_000_000  # resume this far before the largest time_us seen
MAX_EVENT_BYTES = 1_000_000  # a post record is a few KB at most; larger frames are skipped
WS_MAX_MSG = 16 * 1024 * 1024  # aiohttp's own cap: above it the connection is torn down
CURSOR_SAVE_SECONDS = 5.0
RECENT_KEYS = 5_000


def expand_links(text: str, facets: Any) -> str:
    """Replace shortened link text by the facet's full URI (facet indexes are UTF-8 bytes)."""
    if not isinstance(facets, list) or not facets:
        return text
    raw = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        if not isinstance(facet, dict):
            continue
        index, features = facet.get("index"), facet.get("features")
        if not isinstance(index, dict) or not isinstance(features, list):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            continue
        if end > len(raw):
            continue
        for feature in features:
            if (
                isinstance(feature, dict)
                and feature.get("$type") == "app.bsky.richtext.facet#link"
                and isinstance(feature.get("uri"), str)
            ):
                spans.append((start, end, feature["uri"]))
                break
    if not spans:
        return text
    out, pos = [], 0
    for start, end, uri in sorted(spans):
        if start < pos:
            continue  # overlapping facets: keep the first
        out.append(raw[pos:start])
        out.append(uri.encode("utf-8"))
        pos = end
    out.append(raw[pos:])
    return b"".join(out).decode("utf-8", errors="replace")


def parse_event(event: Any, authors: Mapping[str, str]) -> Post | None:
    """A Post for a created app.bsky.feed.post commit; None for every other event."""
    if not isinstance(event, dict) or event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if not isinstance(commit, dict):
        raise PostFormatError("commit is not an object")
    if commit.get("operation") != "create" or commit.get("collection") != POST_COLLECTION:
        return None
    did, rkey, record = event.get("did"), commit.get("rkey"), commit.get("record")
    if not isinstance(did, str) or not isinstance(rkey, str) or not did or not rkey:
        raise PostFormatError("missing did or rkey")
    if not isinstance(record, dict):
        raise PostFormatError("missing record")
    text = record.get("text")
    if not isinstance(text, str):
        raise PostFormatError("missing text")
    created = parse_time(record.get("createdAt", ""))
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    return Post(
        id=f"at://{did}/{POST_COLLECTION}/{rkey}",
        source="bluesky",
        author=authors.get(did, did),
        text=expand_links(text, record.get("facets")),
        created_at=created,
        lang=lang,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
    )


def event_time_us(event: Any) -> int | None:
    value = event.get("time_us") if isinstance(event, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 1e15:
        return value
    return None  # v2 sequence cursors (< 1e15) and junk are not times


class JetstreamSource(StreamSource[Post]):
    kind = "bluesky"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        url: str,
        leader_dids: Mapping[str, str] | None = None,
        wanted_dids: Iterable[str] = (),
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.url = url
        self.authors = dict(leader_dids or {})
        self.wanted_dids = list(wanted_dids)
        self.max_time_us: int | None = None
        self.seen = SeenSet(200_000)
        # keys of posts whose time_us lies within the rewind window, persisted with the cursor
        self.recent: dict[str, int] = {}
        self._loaded = False
        self._saved_at = 0.0
        self.connections = 0

    def connect_url(self) -> str:
        params: list[tuple[str, str]] = [("wantedCollections", POST_COLLECTION)]
        params += [("wantedDids", did) for did in self.wanted_dids]
        if self.max_time_us is not None:
            params.append(("cursor", str(self.max_time_us - REWIND_US)))
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}{urlencode(params)}"

    async def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        state = await load_json_cursor(self.cursors, self.cursor_key)
        time_us = state.get("time_us")
        if isinstance(time_us, int) and time_us > 0:
            self.max_time_us = time_us
        recent = state.get("recent")
        if isinstance(recent, dict):
            for key, value in recent.items():
                if isinstance(key, str) and isinstance(value, int):
                    self.recent[key] = value
                    self.seen.add(key)

    async def save_cursor(self) -> None:
        if self.max_time_us is None:
            return
        horizon = self.max_time_us - REWIND_US
        self.recent = {k: t for k, t in self.recent.items() if t >= horizon}
        if len(self.recent) > RECENT_KEYS:
            keep = sorted(self.recent.items(), key=lambda kv: kv[1])[-RECENT_KEYS:]
            self.recent = dict(keep)
        state = {"time_us": self.max_time_us, "recent": self.recent}
        await self.cursors.set(self.cursor_key, json.dumps(state, separators=(",", ":")))
        self._saved_at = time.monotonic()

    def handle_frame(self, data: str | bytes) -> Post | None:
        """Decode one frame; counts and drops bad ones, de-duplicates re-delivered posts."""
        if len(data) > MAX_EVENT_BYTES:
            self.health.skipped(self.name, "too_large")
            return None
        try:
            event = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            self.health.skipped(self.name, "bad_json")
            return None
        time_us = event_time_us(event)
        try:
            post = parse_event(event, self.authors)
        except PostFormatError:
            self.health.skipped(self.name, "bad_post")
            post = None
        if time_us is not None and (self.max_time_us is None or time_us > self.max_time_us):
            self.max_time_us = time_us
        if post is None:
            return None
        if not self.seen.add(post.id):
            return None
        if time_us is not None:
            self.recent[post.id] = time_us
        return post

    async def run(self, emit: Sink[Post]) -> None:
        await self._load()
        url = self.connect_url()
        self.connections += 1
        try:
            async with self.http.session.ws_connect(
                url, heartbeat=30.0, max_msg_size=WS_MAX_MSG, autoping=True
            ) as ws:
                self.http.succeeded(self.name)
                self.health.success(self.name)
                async for msg in ws:
                    if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                        post = self.handle_frame(msg.data)
                        if post is not None:
                            self._deliver([post], emit)
                        if time.monotonic() - self._saved_at >= CURSOR_SAVE_SECONDS:
                            await self.save_cursor()
                    elif msg.type == aiohttp.WSMsgType.ERROR:
                        raise ConnectionError(f"jetstream websocket error: {ws.exception()!r}")
        finally:
            await self.save_cursor()
        raise ConnectionError("jetstream closed the connection")

    def _deliver(self, batch: list[Post], emit: Sink[Post]) -> None:
        emit(batch)
        POSTS_INGESTED.labels(self.name).inc(len(batch))
        self.health.success(self.name, len(batch))


def build(spec: SourceSpec, ctx: BuildContext) -> JetstreamSource:
    dids = parse_leader_dids(ctx.settings.bluesky_leader_dids)
    return JetstreamSource(
        **ctx.common(spec),
        url=ctx.settings.jetstream_url,
        leader_dids=dids,
        # "bluesky:leaders" subscribes to the configured leader DIDs only
        wanted_dids=list(dids) if spec.target == "leaders" else [],
    )


# bluesky[:leaders]
SOURCE = SourceKind("bluesky", Target.OPTIONAL, build)
