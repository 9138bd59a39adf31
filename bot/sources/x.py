"""X API v2 recent search (paid: only with GHOSTWATCH_X_BEARER_TOKEN; every post read counts).

The leader search serves the global leaders in the order it is given them: shipped, then
configured, then operator-added (bot/app.py LeaderSync). A query holds at most 512 characters;
handles that do not fit are logged (once per change of the list) and counted in the gauge
`ghostwatch_x_leaders_unsearched`, never dropped silently. Chats' follow lists never reach it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from bot.metrics import X_LEADERS_UNSEARCHED, X_POSTS_READ
from bot.posts import Post, PostFormatError, parse_time
from bot.sources.base import CursorStore, PollingSource, SeenSet, load_json_cursor
from bot.sources.fields import MAX_AUTHOR, MAX_TEXT, clean_text, clean_url, count
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind, SourceUnavailable
from bot.sources.spec import SourceSpec, Target

MAX_QUERY = 512  # recent-search query length on the basic tiers
MAX_RESULTS = 100
MAX_PHRASES = 5
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_LEADER_SUFFIX = " -is:retweet"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Queries:
    """The searches of one poll, and the leader handles the leader query had no room for."""

    searches: dict[str, str]
    unsearched: tuple[str, ...] = field(default=())


def leader_query(leaders: Iterable[str]) -> tuple[str | None, tuple[str, ...]]:
    """`from:` clauses for the handles in the order given, as many as 512 characters hold."""
    parts: list[str] = []
    left_out: list[str] = []
    seen: set[str] = set()
    size = len("()") + len(_LEADER_SUFFIX)
    for raw in leaders:
        handle = raw.lstrip("@")
        if not _X_HANDLE.fullmatch(handle) or handle.lower() in seen:
            continue  # a Bluesky handle or a display name: not searchable on X
        seen.add(handle.lower())
        clause = f"from:{handle}"
        extra = len(clause) + (len(" OR ") if parts else 0)
        if left_out or size + extra > MAX_QUERY:
            left_out.append(handle)  # keep the priority order: nothing later jumps the queue
            continue
        parts.append(clause)
        size += extra
    query = f"({' OR '.join(parts)}){_LEADER_SUFFIX}" if parts else None
    return query, tuple(left_out)


def build_queries(leaders: Iterable[str], phrases: Iterable[str]) -> Queries:
    """Two searches: posts from tracked leaders, and posts using the phrases being scored."""
    searches: dict[str, str] = {}
    query, left_out = leader_query(leaders)
    if query:
        searches["leaders"] = query
    quoted = [f'"{p.replace(chr(34), "")}"' for p in list(phrases)[:MAX_PHRASES] if p.strip()]
    if quoted:
        searches["phrases"] = f"({' OR '.join(quoted)}){_LEADER_SUFFIX}"
    return Queries(searches, left_out)


def parse_tweet(tweet: Any, users: dict[str, str]) -> Post:
    if not isinstance(tweet, dict):
        raise PostFormatError("tweet is not an object")
    tweet_id, text = tweet.get("id"), clean_text(tweet.get("text"), MAX_TEXT)
    if not is_tweet_id(tweet_id) or not text:
        raise PostFormatError("missing id or text")
    author_id = tweet.get("author_id")
    author = users.get(author_id, author_id) if isinstance(author_id, str) else None
    author = clean_text(author, MAX_AUTHOR)
    if not author:
        raise PostFormatError("missing author_id")
    metrics = tweet.get("public_metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    lang = clean_text(tweet.get("lang"), 16)
    return Post(
        id=f"x:{tweet_id}",
        source="x",
        author=author,
        text=text,
        created_at=parse_time(tweet.get("created_at", "")),
        likes=count(metrics.get("like_count")),
        reposts=count(metrics.get("retweet_count")) + count(metrics.get("quote_count")),
        replies=count(metrics.get("reply_count")),
        lang=lang if lang not in ("", "und", "zxx") else None,
        url=clean_url(f"https://x.com/{author}/status/{tweet_id}"),
        quotes=referenced(tweet.get("referenced_tweets")),
    )


def referenced(refs: Any) -> str | None:
    """The post a tweet quotes, else the one it replies to, as this bot names posts.

    A retweet references its original too, but says nothing of its own about it.
    """
    if not isinstance(refs, list):
        return None
    found: dict[str, str] = {}
    for ref in refs:
        if isinstance(ref, dict) and ref.get("type") in ("quoted", "replied_to"):
            ref_id = ref.get("id")
            if is_tweet_id(ref_id):
                found.setdefault(ref["type"], f"x:{ref_id}")
    return found.get("quoted") or found.get("replied_to")


def is_tweet_id(value: Any) -> TypeGuard[str]:
    """Post ids are decimal snowflakes; anything else (or a 5 MB one) is not an id."""
    return isinstance(value, str) and 0 < len(value) <= 30 and value.isascii() and value.isdigit()


class XSource(PollingSource[Post]):
    kind = "x"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        base_url: str,
        bearer_token: str,
        leaders: Callable[[], Iterable[str]],
        phrases: Callable[[], Iterable[str]],
        query: str | None = None,
        interval: float = 300.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.base_url = base_url.rstrip("/")
        self.token = bearer_token
        self.leaders = leaders
        self.phrases = phrases
        self.query = query
        self.interval = interval
        self.since_ids: dict[str, str] = {}
        self.seen = SeenSet(20_000)
        self._loaded = False
        self._unsearched: tuple[str, ...] = ()
        http.health.add_secret(bearer_token)

    async def poll(self) -> list[Post]:
        if not self._loaded:
            self._loaded = True
            state = await load_json_cursor(self.cursors, self.cursor_key)
            self.since_ids = {k: v for k, v in state.items() if isinstance(v, str)}
        if self.query:
            queries = {"query": self.query}
        else:
            built = build_queries(self.leaders(), self.phrases())
            self._report_unsearched(built.unsearched)
            queries = built.searches
        posts: list[Post] = []
        for label, query in queries.items():
            posts.extend(await self._search(label, query))
        await self.cursors.set(self.cursor_key, json.dumps(self.since_ids))
        return posts

    def _report_unsearched(self, left_out: tuple[str, ...]) -> None:
        X_LEADERS_UNSEARCHED.set(len(left_out))
        if left_out != self._unsearched:
            self._unsearched = left_out
            if left_out:
                log.warning(
                    "%s: %d leader handle(s) do not fit the %d-character X query and are not "
                    "searched: %s",
                    self.name,
                    len(left_out),
                    MAX_QUERY,
                    ", ".join(left_out[:20]) + (" …" if len(left_out) > 20 else ""),
                )

    async def _search(self, label: str, query: str) -> list[Post]:
        params: dict[str, str | int] = {
            "query": query,
            "max_results": MAX_RESULTS,
            "tweet.fields": "created_at,public_metrics,lang,author_id,referenced_tweets",
            "expansions": "author_id",
            "user.fields": "username",
        }
        since = self.since_ids.get(label)
        if since:
            params["since_id"] = since
        data = await self.http.get_json(
            self.name,
            f"{self.base_url}/tweets/search/recent",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            rate_key="x:search",
        )
        if not isinstance(data, dict):
            self.health.skipped(self.name, "bad_shape")
            return []
        tweets = data.get("data") or []
        includes = data.get("includes")
        listed = includes.get("users") if isinstance(includes, dict) else None
        users = {
            u["id"]: u["username"]
            for u in (listed if isinstance(listed, list) else [])
            if isinstance(u, dict)
            and isinstance(u.get("id"), str)
            and isinstance(u.get("username"), str)
        }
        if not isinstance(tweets, list):
            self.health.skipped(self.name, "bad_shape")
            return []
        X_POSTS_READ.inc(len(tweets))  # billed per post read, whether or not we keep it
        posts = []
        for tweet in tweets:
            try:
                post = parse_tweet(tweet, users)
            except PostFormatError:
                self.health.skipped(self.name, "bad_item")
                continue
            if self.seen.add(post.id):
                posts.append(post)
        meta = data.get("meta")
        newest = meta.get("newest_id") if isinstance(meta, dict) else None
        if is_tweet_id(newest):
            self.since_ids[label] = newest
        posts.reverse()
        return posts


def build(spec: SourceSpec, ctx: BuildContext) -> XSource:
    token = ctx.secret(ctx.settings.x_bearer_token)
    if not token:
        raise SourceUnavailable("GHOSTWATCH_X_BEARER_TOKEN is not set")
    return XSource(
        **ctx.common(spec),
        base_url=ctx.settings.x_api_url,
        bearer_token=token,
        leaders=ctx.leaders,
        phrases=ctx.phrases,
        query=spec.target or None,
        interval=ctx.interval(spec, floor=300.0),  # every post read is billed
    )


# x[:QUERY] (needs GHOSTWATCH_X_BEARER_TOKEN; skipped with a warning without it)
SOURCE = SourceKind("x", Target.OPTIONAL, build)
