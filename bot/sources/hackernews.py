"""Hacker News through Algolia's search_by_date API (no key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.posts import Post, PostFormatError
from bot.sources.base import CursorStore, PollingSource, SeenSet
from bot.sources.fields import MAX_AUTHOR, MAX_TEXT, clean_text, count, epoch
from bot.sources.http import HttpClient
from bot.sources.markup import html_to_text
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target

MAX_PAGES = 5
HITS_PER_PAGE = 100
FIRST_LOOKBACK_SECONDS = 3600  # on a fresh start, read the last hour


def parse_hit(hit: Any) -> Post:
    if not isinstance(hit, dict):
        raise PostFormatError("hit is not an object")
    object_id, created = hit.get("objectID"), hit.get("created_at_i")
    if isinstance(object_id, int) and not isinstance(object_id, bool):
        object_id = str(object_id)
    if not isinstance(object_id, str) or not object_id.isalnum() or len(object_id) > 40:
        raise PostFormatError("missing objectID")
    if not isinstance(created, int) or isinstance(created, bool):
        raise PostFormatError("missing created_at_i")
    title = hit.get("title") or hit.get("story_title") or ""
    body = hit.get("story_text") or hit.get("comment_text") or ""
    if not isinstance(title, str) or not isinstance(body, str):
        raise PostFormatError("title/text is not a string")
    text = "\n".join(
        part for part in (title.strip(), html_to_text(clean_text(body, 4 * MAX_TEXT))) if part
    )
    text = clean_text(text)
    if not text:
        raise PostFormatError("empty story")
    return Post(
        id=f"hn:{object_id}",
        source="hackernews",
        author=clean_text(hit.get("author"), MAX_AUTHOR) or "unknown",
        text=text,
        created_at=epoch(created),
        likes=count(hit.get("points")),
        replies=count(hit.get("num_comments")),
        lang=None,
        url=f"https://news.ycombinator.com/item?id={object_id}",
    )


class HackerNewsSource(PollingSource[Post]):
    kind = "hackernews"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        base_url: str,
        query: str = "",
        tags: str = "story",
        interval: float = 60.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.base_url = base_url.rstrip("/")
        self.query = query
        self.tags = tags
        self.interval = interval
        self.since: int | None = None
        self.seen = SeenSet(20_000)

    async def poll(self) -> list[Post]:
        if self.since is None:
            stored = await self.cursors.get(self.cursor_key)
            self.since = int(stored) if stored and stored.isdigit() and len(stored) < 12 else None
            if self.since is None:
                self.since = int(datetime.now(UTC).timestamp()) - FIRST_LOOKBACK_SECONDS
        posts: list[Post] = []
        newest = self.since
        for page in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "query": self.query,
                "tags": self.tags,
                # ">=" and the seen set: stories sharing the boundary second are not lost
                "numericFilters": f"created_at_i>={self.since}",
                "hitsPerPage": HITS_PER_PAGE,
                "page": page,
            }
            data = await self.http.get_json(
                self.name, f"{self.base_url}/search_by_date", params=params, rate_key="hackernews"
            )
            hits = data.get("hits") if isinstance(data, dict) else None
            if not isinstance(hits, list):
                self.health.skipped(self.name, "bad_shape")
                break
            for hit in hits:
                try:
                    post = parse_hit(hit)
                except PostFormatError:
                    self.health.skipped(self.name, "bad_item")
                    continue
                newest = max(newest, int(post.created_at.timestamp()))
                if self.seen.add(post.id):
                    posts.append(post)
            pages = data.get("nbPages")
            if not isinstance(pages, int) or page + 1 >= pages:
                break
        if newest != self.since:
            self.since = newest
            await self.cursors.set(self.cursor_key, str(newest))
        return posts


def build(spec: SourceSpec, ctx: BuildContext) -> HackerNewsSource:
    return HackerNewsSource(
        **ctx.common(spec),
        base_url=ctx.settings.hackernews_api_url,
        query=spec.target or "",
        tags=spec.options.get("tags", "story"),
        interval=ctx.interval(spec),
    )


# hackernews[:QUERY][?tags=comment]
SOURCE = SourceKind("hackernews", Target.OPTIONAL, build)
