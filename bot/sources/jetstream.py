"""Bluesky Jetstream: a websocket of repository commits; we keep created posts."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from bot.clock import live_skewed
from bot.metrics import POSTS_INGESTED, POSTS_SKEWED
from bot.posts import Post, PostFormatError, parse_time
from bot.sources.base import CursorStore, SeenSet, Sink, StreamSource, load_json_cursor
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target, parse_leader_dids

__all__ = [
    "Event",
    "JetstreamSource",
    "decode_event",
    "expand_links",
    "parse_event",
    "parse_leader_dids",
    "post_of",
]

log = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
REWIND_US = 5_000_000  # resume this far before the largest time_us seen
MAX_EVENT_BYTES = 1_000_000  # a post record is a few KB at most; larger frames are skipped
WS_MAX_MSG = 16 * 1024 * 1024  # aiohttp's own cap: above it the connection is torn down
CURSOR_SAVE_SECONDS = 5.0
RECENT_KEYS = 5_000
MAX_URI = 300  # an at:// post URI is under 100 characters; a longer one is no post's
_ABSENT = msgspec.Raw(b"")  # an empty Raw: the field was not in the frame


class _Index(msgspec.Struct, gc=False):
    byteStart: int  # the lexicon's field names
    byteEnd: int


class _Feature(msgspec.Struct, gc=False, rename={"type": "$type"}):
    type: str = ""
    uri: str | None = None  # link features; mentions and tags carry other fields


class _Facet(msgspec.Struct, gc=False):
    index: _Index
    features: list[_Feature]


class _PostRecord(msgspec.Struct, gc=False):
    """An app.bsky.feed.post record (the lexicon's fields we read; others are skipped)."""

    text: str
    createdAt: str
    langs: list[str] | None = None
    facets: msgspec.Raw = _ABSENT  # decoded only when present; bad facets never cost the post
    reply: msgspec.Raw = _ABSENT  # likewise: what it replies to and what it quotes
    embed: msgspec.Raw = _ABSENT


class _Ref(msgspec.Struct, gc=False):
    """A com.atproto.repo.strongRef (its cid is not needed)."""

    uri: str = ""


class _Reply(msgspec.Struct, gc=False):
    parent: _Ref | None = None


class _Quoted(msgspec.Struct, gc=False):
    """An embed's ``record``: a strongRef (app.bsky.embed.record), or an app.bsky.embed.record
    holding one (app.bsky.embed.recordWithMedia)."""

    uri: str = ""
    record: _Ref | None = None


class _Embed(msgspec.Struct, gc=False):
    record: _Quoted | None = None  # other embeds (images, external links) have none


class _Commit(msgspec.Struct, gc=False):
    operation: str = ""
    collection: str = ""
    rkey: str = ""
    record: msgspec.Raw = _ABSENT  # decoded only for created posts (likes etc. are skipped)


class Event(msgspec.Struct, gc=False):
    """One Jetstream frame's envelope: commits, identity and account events alike."""

    kind: str = ""
    did: str = ""
    time_us: int | None = None
    commit: _Commit | None = None


_EVENT = msgspec.json.Decoder(Event)
_RECORD = msgspec.json.Decoder(_PostRecord)
_FACETS = msgspec.json.Decoder(list[_Facet])
_REPLY = msgspec.json.Decoder(_Reply)
_EMBED = msgspec.json.Decoder(_Embed)
_POST_URI = f"/{POST_COLLECTION}/"
_LINK = "app.bsky.richtext.facet#link"


def decode_event(data: str | bytes) -> Event:
    """The typed envelope of one frame; raises msgspec.DecodeError (ValidationError included),
    UnicodeDecodeError or RecursionError for a frame that is not a Jetstream event."""
    return _EVENT.decode(data)


def _expand(text: str, facets: list[_Facet]) -> str:
    raw = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        start, end = facet.index.byteStart, facet.index.byteEnd
        if not 0 <= start < end <= len(raw):
            continue
        for feature in facet.features:
            if feature.type == _LINK and feature.uri is not None:
                spans.append((start, end, feature.uri))
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


def expand_links(text: str, facets: Any) -> str:
    """Replace shortened link text by the facet's full URI (facet indexes are UTF-8 bytes).

    `facets` is decoded JSON; a facet of the wrong shape is ignored, the others still apply.
    """
    if not isinstance(facets, list) or not facets:
        return text
    typed = []
    for facet in facets:
        try:
            typed.append(msgspec.convert(facet, _Facet))
        except (msgspec.ValidationError, TypeError, ValueError):
            continue
    return _expand(text, typed)


def post_of(event: Event, authors: Mapping[str, str]) -> Post | None:
    """A Post for a created app.bsky.feed.post commit; None for every other event.

    Raises PostFormatError for a post create whose record is unusable.
    """
    commit = event.commit
    if event.kind != "commit" or commit is None:
        if event.kind == "commit":
            raise PostFormatError("commit is not an object")
        return None
    if commit.operation != "create" or commit.collection != POST_COLLECTION:
        return None
    did, rkey = event.did, commit.rkey
    if not did or not rkey:
        raise PostFormatError("missing did or rkey")
    try:
        record = _RECORD.decode(commit.record)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise PostFormatError("missing or malformed record") from exc
    created = parse_time(record.createdAt)
    text = record.text
    if record.facets:
        # Unusable facets leave links shortened; the post itself is still fine.
        with contextlib.suppress(msgspec.DecodeError, RecursionError):
            text = _expand(text, _FACETS.decode(record.facets))
    return Post(
        id=f"at://{did}/{POST_COLLECTION}/{rkey}",
        source="bluesky",
        author=authors.get(did, did),
        text=text,
        created_at=created,
        lang=record.langs[0] if record.langs else None,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        quotes=_quoted(record),
    )


def _quoted(record: _PostRecord) -> str | None:
    """The post a record quotes, else the one it replies to (its at:// URI, the id this bot
    gives Bluesky posts). Unusable embeds or replies are ignored: the post itself is fine."""
    uri = ""
    if record.embed:
        with contextlib.suppress(msgspec.DecodeError, RecursionError):
            quoted = _EMBED.decode(record.embed).record
            if quoted is not None:
                uri = quoted.record.uri if quoted.record is not None else quoted.uri
    if not uri.startswith("at://") and record.reply:
        with contextlib.suppress(msgspec.DecodeError, RecursionError):
            parent = _REPLY.decode(record.reply).parent
            uri = parent.uri if parent is not None else ""
    if uri.startswith("at://") and _POST_URI in uri and len(uri) <= MAX_URI:
        return uri
    return None


def parse_event(event: Any, authors: Mapping[str, str]) -> Post | None:
    """`post_of` for an already decoded JSON value (None for anything but an object)."""
    if not isinstance(event, dict):
        return None
    try:
        typed = decode_event(msgspec.json.encode(event))
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError) as exc:
        if event.get("kind") != "commit":
            return None
        raise PostFormatError("malformed commit") from exc
    return post_of(typed, authors)


def event_time_us(event: Any) -> int | None:
    value = event.time_us if isinstance(event, Event) else None
    if value is None and isinstance(event, dict):
        value = event.get("time_us")
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
        """Decode one frame; counts and drops bad ones, de-duplicates re-delivered posts.

        A post claiming a time more than a few minutes past the frame's own `time_us` (the
        relay's clock, not the posting client's) is counted and moved back to that time.
        """
        if len(data) > MAX_EVENT_BYTES:
            self.health.skipped(self.name, "too_large")
            return None
        try:
            event = decode_event(data)
        except msgspec.ValidationError:
            self.health.skipped(self.name, "bad_post")
            return None
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            self.health.skipped(self.name, "bad_json")
            return None
        time_us = event_time_us(event)
        try:
            post = post_of(event, self.authors)
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
            relay = time_us / 1e6
            if live_skewed(post.created_at.timestamp(), relay):
                POSTS_SKEWED.labels(self.kind, "clamped").inc()
                post = msgspec.structs.replace(
                    post, created_at=datetime.fromtimestamp(relay, tz=UTC)
                )
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
