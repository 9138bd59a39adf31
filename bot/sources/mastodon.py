"""Mastodon tag or public timelines of a configured instance."""

from __future__ import annotations

import re
from typing import Any, TypeGuard
from urllib.parse import parse_qs, urlsplit

from bot.posts import Post, PostFormatError, parse_time
from bot.sources.base import CursorStore, PollingSource
from bot.sources.fields import MAX_AUTHOR, MAX_ID, MAX_TEXT, clean_text, clean_url, count
from bot.sources.http import HttpClient, PayloadError
from bot.sources.markup import html_to_text
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target, host_of

PAGE_LIMIT = 40
MAX_PAGES = 5
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def timeline_url(target: str) -> str:
    """`host`, `host/tags/NAME` or a full http(s) URL of either -> the timeline API URL."""
    if "://" not in target:
        target = f"https://{target}"
    parts = urlsplit(target)
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.strip("/")
    if path.startswith("tags/") and len(path) > 5:
        return f"{base}/api/v1/timelines/tag/{path[5:]}"
    if path in ("", "public", "local"):
        return f"{base}/api/v1/timelines/public"
    raise ValueError("mastodon target must be HOST or HOST/tags/NAME")


def link_param(header: str | None, rel: str, param: str) -> str | None:
    """A query parameter of the Link header entry with the given rel."""
    for url, found in _LINK.findall(header or ""):
        if found == rel:
            values = parse_qs(urlsplit(url).query).get(param)
            return values[0] if values else None
    return None


def parse_status(status: Any) -> Post:
    if not isinstance(status, dict):
        raise PostFormatError("status is not an object")
    status_id, content, account = status.get("id"), status.get("content"), status.get("account")
    if not is_status_id(status_id) or not isinstance(content, str):
        raise PostFormatError("missing id or content")
    acct = clean_text(account.get("acct") if isinstance(account, dict) else None, MAX_AUTHOR)
    if not acct:
        raise PostFormatError("missing account")
    text = clean_text(html_to_text(clean_text(content, 4 * MAX_TEXT)))
    if not text:
        raise PostFormatError("empty status")
    uri = clean_url(status.get("uri"))
    lang = clean_text(status.get("language"), 16)
    return Post(
        id=f"mastodon:{uri if uri and len(uri) < MAX_ID - 9 else status_id}",
        source="mastodon",
        author=acct,
        text=text,
        created_at=parse_time(status.get("created_at", "")),
        likes=count(status.get("favourites_count")),
        reposts=count(status.get("reblogs_count")),
        replies=count(status.get("replies_count")),
        lang=lang or None,
        url=clean_url(status.get("url")),
    )


def is_status_id(value: Any) -> TypeGuard[str]:
    """Mastodon ids are short strings of digits (snowflakes); anything else is not one."""
    return isinstance(value, str) and 0 < len(value) <= 40 and value.isascii() and value.isalnum()


class MastodonSource(PollingSource[Post]):
    kind = "mastodon"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        target: str,
        token: str | None = None,
        interval: float = 60.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.url = timeline_url(target)
        self.token = token
        self.interval = interval
        self.min_id: str | None = None
        self._loaded = False

    async def poll(self) -> list[Post]:
        if not self._loaded:
            self._loaded = True
            self.min_id = await self.cursors.get(self.cursor_key)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        posts: list[Post] = []
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"limit": PAGE_LIMIT}
            if self.min_id:
                params["min_id"] = self.min_id
            response = await self.http.request(
                self.name, "GET", self.url, params=params, headers=headers
            )
            try:
                data = response.json()
            except PayloadError as exc:
                self.health.skipped(self.name, exc.reason)
                raise
            if not isinstance(data, list):
                self.health.skipped(self.name, "bad_shape")
                break
            page: list[Post] = []
            for status in data:
                try:
                    page.append(parse_status(status))
                except PostFormatError:
                    self.health.skipped(self.name, "bad_item")
            # with min_id the "prev" link points at the next newer page
            newer = link_param(response.headers.get("Link"), "prev", "min_id")
            newer = newer if is_status_id(newer) else None
            ids = [s["id"] for s in data if isinstance(s, dict) and is_status_id(s.get("id"))]
            newest = max(ids, key=lambda v: (len(v), v)) if ids else None
            page.reverse()  # newest first on the wire
            posts.extend(page)
            if newest is None or self.min_id is None:
                # the first poll only takes the newest page: no backfill of a busy instance
                self.min_id = newest or self.min_id
                break
            self.min_id = newer or newest
            if len(data) < PAGE_LIMIT:
                break
        if self.min_id:
            await self.cursors.set(self.cursor_key, self.min_id)
        return posts


def build(spec: SourceSpec, ctx: BuildContext) -> MastodonSource:
    return MastodonSource(
        **ctx.common(spec),
        target=spec.target or "",
        token=ctx.secret(ctx.settings.mastodon_token),
        interval=ctx.interval(spec),
    )


def display(spec: SourceSpec) -> str:
    """HOST or HOST/tags/NAME, also for a full URL: no scheme, no user:password@."""
    target = spec.target or ""
    rest = target.split("://", 1)[1] if "://" in target else target
    host, _, path = rest.partition("/")
    path = path.strip("/")
    return f"mastodon:{host_of(host)}" + (f"/{path}" if path else "")


# mastodon:HOST, mastodon:HOST/tags/NAME or either as a full URL
SOURCE = SourceKind("mastodon", Target.REQUIRED, build, display=display, example="HOST")
