"""RSS and Atom feeds: fetched with the shared session, parsed by feedparser."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import msgspec

from bot.clock import live_skewed
from bot.metrics import POSTS_SKEWED
from bot.posts import Post, PostFormatError
from bot.sources.base import CursorStore, PollingSource, SeenSet, load_json_cursor
from bot.sources.fields import MAX_AUTHOR, MAX_ID, clean_text, clean_url
from bot.sources.http import HttpClient
from bot.sources.markup import html_to_text
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, SourceSpecError, Target

MAX_TEXT = 2000


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, OSError, ValueError, TypeError):
                continue  # a year a datetime cannot hold: try the next date, else "now"
    return None


def parse_feed(body: bytes, feed_url: str, now: datetime) -> tuple[list[Post], int]:
    """Posts from a feed document, and how many entries were unusable."""
    try:
        parsed = feedparser.parse(body)
    except Exception as exc:  # e.g. UnicodeEncodeError on a "&#xD800;" character reference
        raise PostFormatError(f"unreadable feed ({type(exc).__name__})") from None
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        # broken XML, or a page that is no feed at all (an HTML login or error page)
        raise PostFormatError("not a feed")
    # a feed without a title is credited to its host: the full URL may carry a token
    author_default = parsed.feed.get("title") or urlsplit(feed_url).hostname or "rss"
    author_default = clean_text(author_default, MAX_AUTHOR) or "rss"
    posts, bad = [], 0
    lang = clean_text(parsed.feed.get("language"), 16) or None
    for entry in parsed.entries:
        title = html_to_text(clean_text(entry.get("title"), MAX_TEXT))
        summary = html_to_text(clean_text(entry.get("summary"), 4 * MAX_TEXT))
        text = clean_text("\n".join(part for part in (title, summary[:MAX_TEXT]) if part))
        link = clean_url(entry.get("link"))
        ident = (
            clean_text(entry.get("id"), MAX_ID)
            or link
            or (title and hashlib.sha1(title.encode()).hexdigest())
        )
        if len(ident) > 200:  # ids are stored (a narrative's seed post): keep them short
            ident = hashlib.sha1(ident.encode()).hexdigest()
        if not text or not ident:
            bad += 1
            continue
        posts.append(
            Post(
                id=f"rss:{ident}",
                source="rss",
                author=clean_text(entry.get("author"), MAX_AUTHOR) or author_default,
                text=text,
                created_at=_when(entry) or now,
                lang=lang,
                url=link,
            )
        )
    return posts, bad


class RssSource(PollingSource[Post]):
    kind = "rss"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        feed_url: str,
        interval: float = 300.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.feed_url = feed_url
        self.interval = interval
        self.etag: str | None = None
        self.modified: str | None = None
        self.since: datetime | None = None
        self.seen = SeenSet(10_000)
        self._loaded = False

    async def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        state = await load_json_cursor(self.cursors, self.cursor_key)
        self.etag = state.get("etag") if isinstance(state.get("etag"), str) else None
        self.modified = state.get("modified") if isinstance(state.get("modified"), str) else None
        since = state.get("since")
        if isinstance(since, str):
            try:
                self.since = datetime.fromisoformat(since)
            except ValueError:
                self.since = None
        now = datetime.now(UTC)
        if self.since is not None and (
            self.since.tzinfo is None or live_skewed(self.since.timestamp(), now.timestamp())
        ):
            self.since = now  # saved by a version that trusted a future-dated entry

    def _plausible(self, entries: list[Post], now: datetime) -> list[Post]:
        """Entries dated past the wall clock take the fetch time (counted): a future date
        must neither poison the engine's clock nor become the high-water mark that would
        make this feed skip every later entry."""
        out = []
        skewed = 0
        for post in entries:
            if live_skewed(post.created_at.timestamp(), now.timestamp()):
                post = msgspec.structs.replace(post, created_at=now)
                skewed += 1
            out.append(post)
        if skewed:
            POSTS_SKEWED.labels(self.kind, "clamped").inc(skewed)
        return out

    async def poll(self) -> list[Post]:
        await self._load()
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml, */*"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.modified:
            headers["If-Modified-Since"] = self.modified
        response = await self.http.request(
            self.name, "GET", self.feed_url, headers=headers, ok_statuses=(304,)
        )
        if response.status == 304:
            return []
        now = datetime.now(UTC)
        try:
            entries, bad = await asyncio.to_thread(parse_feed, response.body, self.feed_url, now)
        except PostFormatError:
            self.health.skipped(self.name, "bad_feed")
            return []
        if bad:
            self.health.skipped(self.name, "bad_item", bad)
        posts = []
        newest = self.since
        for post in self._plausible(entries, now):
            if self.since is not None and post.created_at < self.since:
                continue  # already read before a restart
            if self.seen.add(post.id):
                posts.append(post)
                newest = post.created_at if newest is None else max(newest, post.created_at)
        self.etag = response.headers.get("ETag") or self.etag
        self.modified = response.headers.get("Last-Modified") or self.modified
        self.since = newest
        state = {
            "etag": self.etag,
            "modified": self.modified,
            "since": newest.isoformat() if newest else None,
        }
        await self.cursors.set(self.cursor_key, json.dumps(state))
        return posts


def build(spec: SourceSpec, ctx: BuildContext) -> RssSource:
    # feeds are asked at most every 5 minutes: they change slowly and ETags make it cheap
    return RssSource(
        **ctx.common(spec),
        feed_url=spec.target or "",
        interval=max(ctx.settings.poll_interval, 300.0),
    )


def check(spec: SourceSpec) -> None:
    parts = urlsplit(spec.target or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # the value is not echoed: a feed URL can carry a token
        raise SourceSpecError("rss target must be an http(s) URL")


# rss:URL (the URL keeps its own query string; it is shown cut to scheme and host)
SOURCE = SourceKind("rss", Target.REQUIRED, build, raw_target=True, check=check, example="URL")
