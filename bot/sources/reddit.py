"""Reddit subreddit listings (/r/NAME/new.json), anonymous or with app-only OAuth."""

from __future__ import annotations

import base64
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.posts import Post, PostFormatError
from bot.sources.base import CursorStore, PollingSource, SeenSet
from bot.sources.fields import MAX_AUTHOR, clean_text, clean_url, count, epoch, finite
from bot.sources.http import HttpClient, UpstreamError
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target

log = logging.getLogger(__name__)

BLOCKED_PAUSE = 1800.0  # after a 403 Reddit is asked again only this much later
MAX_TEXT = 4000


def parse_child(child: Any) -> Post:
    data = child.get("data") if isinstance(child, dict) else None
    if not isinstance(data, dict) or child.get("kind") != "t3":
        raise PostFormatError("not a link listing item")
    post_id, created = data.get("id"), data.get("created_utc")
    title = data.get("title")
    if not isinstance(post_id, str) or not post_id.isalnum() or len(post_id) > 40:
        raise PostFormatError("missing id")
    if not isinstance(title, str):
        raise PostFormatError("missing title")
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise PostFormatError("missing created_utc")
    body = clean_text(data.get("selftext"), MAX_TEXT)
    text = clean_text("\n".join(part for part in (title.strip(), body.strip()) if part))
    if not text:
        raise PostFormatError("empty post")
    permalink = data.get("permalink")
    return Post(
        id=f"reddit:{post_id}",
        source="reddit",
        author=clean_text(data.get("author"), MAX_AUTHOR) or "[deleted]",
        text=text,
        created_at=epoch(created),
        likes=count(data.get("score")),
        replies=count(data.get("num_comments")),
        url=(
            clean_url(f"https://www.reddit.com{permalink}")
            if isinstance(permalink, str) and permalink.startswith("/")
            else None
        ),
    )


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def oauth_base(api_url: str) -> str:
    """Authenticated calls go to oauth.reddit.com; a test/proxy base URL is used as is."""
    return (
        "https://oauth.reddit.com" if api_url.rstrip("/") == "https://www.reddit.com" else api_url
    )


class RedditSource(PollingSource[Post]):
    kind = "reddit"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        base_url: str,
        subreddit: str,
        user_agent: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        interval: float = 120.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.base_url = base_url.rstrip("/")
        self.subreddit = subreddit.strip().removeprefix("r/").strip("/")
        self.user_agent = user_agent
        self.client_id = client_id
        self.client_secret = client_secret
        self.interval = interval
        self.seen = SeenSet(10_000)
        self._token: str | None = None
        self._token_expires = 0.0
        self._blocked_until = 0.0

    async def _auth_header(self) -> dict[str, str]:
        if not (self.client_id and self.client_secret):
            return {}
        if self._token is None or time.monotonic() >= self._token_expires:
            response = await self.http.request(
                self.name,
                "POST",
                f"{self.base_url}/api/v1/access_token",
                data={"grant_type": "client_credentials"},
                headers={
                    "User-Agent": self.user_agent,
                    "Authorization": _basic(self.client_id, self.client_secret),
                },
                rate_key="reddit",
            )
            data = response.json()
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str):
                raise UpstreamError("reddit: token response without access_token")
            # NaN or inf would never expire the token, a negative one would refresh every poll
            expires = finite(data.get("expires_in"))
            lifetime = min(max(expires, 120.0), 86400.0) if expires is not None else 3600.0
            self._token, self._token_expires = token, time.monotonic() + lifetime - 60
        return {"Authorization": f"bearer {self._token}"}

    async def poll(self) -> list[Post]:
        if time.monotonic() < self._blocked_until:
            return []
        headers = {"User-Agent": self.user_agent, **(await self._auth_header())}
        base = oauth_base(self.base_url) if self._token else self.base_url
        try:
            data = await self.http.get_json(
                self.name,
                f"{base}/r/{self.subreddit}/new.json",
                params={"limit": 100, "raw_json": 1},
                headers=headers,
                rate_key="reddit:oauth" if self._token else "reddit",
            )
        except UpstreamError as exc:
            if exc.status == 403:
                # Reddit blocks anonymous clients at times: pause instead of failing the bot.
                self._blocked_until = time.monotonic() + BLOCKED_PAUSE
                until = datetime.now(UTC) + timedelta(seconds=BLOCKED_PAUSE)
                self.health.set_state(self.name, "blocked", until)
                log.warning("reddit blocked r/%s (403); pausing", self.subreddit)
                return []
            if exc.status == 401:
                self._token = None
            raise
        if self.health.get(self.name).state == "blocked":
            self.health.set_state(self.name, "ok")
        listing = data.get("data") if isinstance(data, dict) else None
        children = listing.get("children") if isinstance(listing, dict) else None
        if not isinstance(children, list):
            self.health.skipped(self.name, "bad_shape")
            return []
        posts = []
        for child in children:
            try:
                post = parse_child(child)
            except PostFormatError:
                self.health.skipped(self.name, "bad_item")
                continue
            if self.seen.add(post.id):
                posts.append(post)
        posts.reverse()  # listings are newest first
        return posts


def build(spec: SourceSpec, ctx: BuildContext) -> RedditSource:
    s = ctx.settings
    return RedditSource(
        **ctx.common(spec),
        base_url=s.reddit_api_url,
        subreddit=spec.target or "",
        user_agent=s.reddit_user_agent,
        client_id=s.reddit_client_id,
        client_secret=ctx.secret(s.reddit_client_secret),
        interval=ctx.interval(spec, floor=120.0),  # anonymous clients get 10 requests a minute
    )


# reddit:SUBREDDIT
SOURCE = SourceKind("reddit", Target.REQUIRED, build, example="SUBREDDIT")
