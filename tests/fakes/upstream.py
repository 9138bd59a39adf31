"""One local aiohttp server that speaks every upstream API ghostwatch reads.

It replays the recorded payloads in tests/fixtures/upstream (and the real Jetstream events in
tests/fixtures/*.jsonl) in their exact formats, on a free port, and takes fault knobs:

    fake = UpstreamFake(); await fake.start()
    settings = Settings(**fake.settings(sources="bluesky,hackernews,dexscreener"))
    fake.fail("gecko", Fault.reply(429, {"Retry-After": "1"}))  # next request only
    fake.down("hn", 500) ... fake.up("hn")                        # every request until up()
    fake.jetstream_drop_after = [5]                              # first connection drops after 5
    fake.jetstream_inject = {2: '{"did": "trunc'}                 # extra frame before event #2

Routes are named: hn, reddit, reddit:token, rss, atom, mastodon, x, dex:profiles, dex:boosts,
dex:search, dex:tokens, gecko. `fake.requests` records (route, query, headers) of every call.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UPSTREAM = FIXTURES / "upstream"
X_TOKEN = "test-x-bearer-token"


def load_json(name: str) -> Any:
    return json.loads((UPSTREAM / name).read_text(encoding="utf-8"))


def jetstream_lines(name: str = "expected_v1.jsonl") -> list[str]:
    return [line for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Fault:
    kind: str  # status | malformed | truncated | giant | hang
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0

    @classmethod
    def reply(cls, status: int, headers: dict[str, str] | None = None, body: Any = None) -> Fault:
        data = json.dumps(body).encode() if body is not None else b'{"error": "fault"}'
        return cls("status", status, dict(headers or {}), data)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed", body=b'{"hits": [ {"objectID": "1", ')

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def giant(cls, size: int = 10 * 1024 * 1024) -> Fault:
        return cls("giant", body=b'{"pad": "' + b"x" * size + b'"}')

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls("hang", seconds=seconds)


@dataclass
class Recorded:
    route: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


class UpstreamFake:
    def __init__(self, *, rebase_times: bool = True) -> None:
        self.requests: list[Recorded] = []
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._down: dict[str, int] = {}
        self.base = ""
        self.ws_base = ""
        self._runner: web.AppRunner | None = None
        now = datetime.now(UTC)
        self.hn = load_json("hn_search_by_date.json")
        self.reddit = load_json("reddit_new.json")
        self.mastodon = load_json("mastodon_tag.json")
        self.x_pages = [load_json("x_search_recent.json")]
        self.dex_profiles = load_json("dexscreener_profiles.json")
        self.dex_boosts = load_json("dexscreener_boosts.json")
        self.dex_tokens = load_json("dexscreener_tokens.json")
        self.dex_search = load_json("dexscreener_search.json")
        self.gecko = load_json("geckoterminal_new_pools.json")
        self.rss = (UPSTREAM / "feed_rss.xml").read_bytes()
        self.atom = (UPSTREAM / "feed_atom.xml").read_bytes()
        self.rss_etag = '"rss-v1"'
        self.pump_events = (UPSTREAM / "pumpportal_events.jsonl").read_text().splitlines()
        if rebase_times:
            self._rebase(now)
        # jetstream
        self.jetstream_events: list[str] = jetstream_lines()
        self.jetstream_drop_after: list[int] = []  # per connection: frames before a drop
        self.jetstream_inject: dict[int, str] = {}  # event index -> extra frame sent before it
        self.jetstream_cursors: list[str | None] = []
        self.jetstream_hold = True  # keep the socket open after the last event
        # pumpportal
        self.pump_subscribes: list[Any] = []
        self.pump_open = 0
        self.pump_max_open = 0

    # -- knobs --------------------------------------------------------------------------------
    def fail(self, route: str, *faults: Fault) -> None:
        """Queue faults for the next requests of a route (one fault per request)."""
        self._faults[route].extend(faults)

    def down(self, route: str, status: int = 500) -> None:
        self._down[route] = status

    def up(self, route: str) -> None:
        self._down.pop(route, None)

    def calls(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Settings keyword arguments pointing every connector at this server."""
        values: dict[str, Any] = {
            "jetstream_url": f"{self.ws_base}/jetstream/subscribe",
            "hackernews_api_url": f"{self.base}/hn/api/v1",
            "reddit_api_url": f"{self.base}/reddit",
            "x_api_url": f"{self.base}/x/2",
            "dexscreener_api_url": f"{self.base}/dex",
            "geckoterminal_api_url": f"{self.base}/gecko/api/v2",
            "pumpportal_ws_url": f"{self.ws_base}/pumpportal/api/data",
        }
        values.update(extra)
        return values

    @property
    def mastodon_target(self) -> str:
        return f"{self.base}/tags/summoningghosts"

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        r = app.router
        r.add_get("/hn/api/v1/search_by_date", self._hn)
        r.add_get("/reddit/r/{sub}/new.json", self._reddit)
        r.add_post("/reddit/api/v1/access_token", self._reddit_token)
        r.add_get("/rss/feed.xml", self._rss)
        r.add_get("/rss/atom.xml", self._atom)
        r.add_get("/api/v1/timelines/tag/{tag}", self._mastodon)
        r.add_get("/api/v1/timelines/public", self._mastodon)
        r.add_get("/x/2/tweets/search/recent", self._x)
        r.add_get("/dex/token-profiles/latest/v1", self._dex_profiles)
        r.add_get("/dex/token-boosts/latest/v1", self._dex_boosts)
        r.add_get("/dex/latest/dex/search", self._dex_search)
        r.add_get("/dex/tokens/v1/{chain}/{addresses}", self._dex_tokens)
        r.add_get("/gecko/api/v2/networks/{network}/new_pools", self._gecko)
        r.add_get("/jetstream/subscribe", self._jetstream)
        r.add_get("/pumpportal/api/data", self._pumpportal)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        self.ws_base = f"ws://127.0.0.1:{port}"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> UpstreamFake:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _rebase(self, now: datetime) -> None:
        """Shift recorded times so the newest item is a minute old (pollers look back 1 h)."""
        hits = [h for h in self.hn["hits"] if isinstance(h.get("created_at_i"), int)]
        shift = int(now.timestamp()) - 60 - max(h["created_at_i"] for h in hits)
        for hit in hits:
            hit["created_at_i"] += shift
            hit["created_at"] = _iso(datetime.fromtimestamp(hit["created_at_i"], UTC))

    async def _respond(
        self, route: str, request: web.Request, payload: Any, headers: dict[str, str] | None = None
    ) -> web.StreamResponse:
        self.requests.append(
            Recorded(
                route, request.path, dict(request.query), dict(request.headers), time.monotonic()
            )
        )
        if route in self._down:
            return web.json_response({"error": "down"}, status=self._down[route])
        if self._faults[route]:
            fault = self._faults[route].pop(0)
            if fault.kind == "status":
                return web.Response(
                    status=fault.status,
                    body=fault.body,
                    headers=fault.headers,
                    content_type="application/json",
                )
            if fault.kind in ("malformed", "giant"):
                return web.Response(body=fault.body, content_type="application/json")
            if fault.kind == "truncated":
                body = json.dumps(payload).encode()
                return web.Response(body=body[: len(body) // 2], content_type="application/json")
            if fault.kind == "hang":
                await asyncio.sleep(fault.seconds)
        if isinstance(payload, web.StreamResponse):
            return payload
        return web.json_response(payload, headers=headers)

    # -- HTTP routes --------------------------------------------------------------------------
    async def _hn(self, request: web.Request) -> web.StreamResponse:
        doc = copy.deepcopy(self.hn)
        since = _numeric_filter(request.query.get("numericFilters", ""))
        if since is not None:
            doc["hits"] = [
                h
                for h in doc["hits"]
                if not isinstance(h.get("created_at_i"), int) or h["created_at_i"] >= since
            ]
        doc["nbHits"] = len(doc["hits"])
        return await self._respond("hn", request, doc)

    async def _reddit(self, request: web.Request) -> web.StreamResponse:
        headers = {
            "X-Ratelimit-Used": "1",
            "X-Ratelimit-Remaining": "99",
            "X-Ratelimit-Reset": "300",
        }
        return await self._respond("reddit", request, self.reddit, headers)

    async def _reddit_token(self, request: web.Request) -> web.StreamResponse:
        body = {
            "access_token": "reddit-app-token",
            "token_type": "bearer",
            "expires_in": 86400,
            "scope": "*",
        }
        return await self._respond("reddit:token", request, body)

    async def _feed(
        self, route: str, request: web.Request, body: bytes, ctype: str
    ) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == self.rss_etag:
            return await self._respond(route, request, web.Response(status=304))
        modified = format_datetime(datetime(2026, 11, 28, 10, 30, tzinfo=UTC), usegmt=True)
        resp = web.Response(
            body=body,
            content_type=ctype,
            headers={"ETag": self.rss_etag, "Last-Modified": modified},
        )
        return await self._respond(route, request, resp)

    async def _rss(self, request: web.Request) -> web.StreamResponse:
        return await self._feed("rss", request, self.rss, "application/rss+xml")

    async def _atom(self, request: web.Request) -> web.StreamResponse:
        return await self._feed("atom", request, self.atom, "application/atom+xml")

    async def _mastodon(self, request: web.Request) -> web.StreamResponse:
        statuses = list(self.mastodon)
        min_id = request.query.get("min_id")
        if min_id:
            statuses = [s for s in statuses if _id_key(s["id"]) > _id_key(min_id)]
        limit = int(request.query.get("limit", "20"))
        statuses = statuses[:limit]
        headers = {}
        if statuses:
            newest, oldest = statuses[0]["id"], statuses[-1]["id"]
            url = f"{self.base}{request.path}"
            headers["Link"] = (
                f'<{url}?max_id={oldest}>; rel="next", <{url}?min_id={newest}>; rel="prev"'
            )
        return await self._respond("mastodon", request, statuses, headers)

    async def _x(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {X_TOKEN}":
            body = {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            }
            return await self._respond("x", request, web.json_response(body, status=401))
        since = request.query.get("since_id")
        doc = copy.deepcopy(self.x_pages[0])
        if since:
            doc["data"] = [t for t in doc.get("data", []) if int(t["id"]) > int(since)]
            if not doc["data"]:
                doc = {"meta": {"result_count": 0}}
        reset = str(int(time.time()) + 900)
        headers = {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "449",
            "x-rate-limit-reset": reset,
        }
        return await self._respond("x", request, doc, headers)

    async def _dex_profiles(self, request: web.Request) -> web.StreamResponse:
        return await self._respond("dex:profiles", request, self.dex_profiles)

    async def _dex_boosts(self, request: web.Request) -> web.StreamResponse:
        return await self._respond("dex:boosts", request, self.dex_boosts)

    async def _dex_search(self, request: web.Request) -> web.StreamResponse:
        q = request.query.get("q", "").lower()
        words = [w for w in q.replace("#", " ").split() if len(w) >= 4]
        doc = copy.deepcopy(self.dex_search)
        doc["pairs"] = [
            p
            for p in doc["pairs"]
            if not isinstance(p.get("baseToken"), dict)
            or any(w[:5] in json.dumps(p["baseToken"]).lower() for w in words)
        ]
        return await self._respond("dex:search", request, doc)

    async def _dex_tokens(self, request: web.Request) -> web.StreamResponse:
        wanted = set(request.match_info["addresses"].split(","))
        pairs = [
            p
            for p in self.dex_tokens
            if p["chainId"] == request.match_info["chain"] and p["baseToken"]["address"] in wanted
        ]
        return await self._respond("dex:tokens", request, pairs)

    async def _gecko(self, request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("page", "1"))
        if page > 10:
            body = {"errors": [{"status": "401", "title": "Page limit exceeded"}]}
            return await self._respond("gecko", request, web.json_response(body, status=401))
        return await self._respond("gecko", request, self.gecko)

    # -- websockets ---------------------------------------------------------------------------
    async def _jetstream(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Recorded(
                "jetstream",
                request.path,
                dict(request.query),
                dict(request.headers),
                time.monotonic(),
            )
        )
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        cursor = request.query.get("cursor")
        self.jetstream_cursors.append(cursor)
        connection = len(self.jetstream_cursors) - 1
        drop = (
            self.jetstream_drop_after[connection]
            if connection < len(self.jetstream_drop_after)
            else None
        )
        sent = 0
        for index, line in enumerate(self.jetstream_events):
            time_us = json.loads(line).get("time_us", 0)
            if cursor is not None and time_us < int(cursor):
                continue
            if connection == 0 and index in self.jetstream_inject:
                await ws.send_str(self.jetstream_inject[index])
            if drop is not None and sent >= drop:
                await ws.close()
                return ws
            await ws.send_str(line)
            sent += 1
        if self.jetstream_hold:
            async for _ in ws:  # until the client goes away
                pass
        return ws

    async def _pumpportal(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self.pump_open += 1
        self.pump_max_open = max(self.pump_max_open, self.pump_open)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                self.pump_subscribes.append(data)
                if data.get("method") == "subscribeNewToken":
                    await ws.send_str(
                        json.dumps({"message": "Successfully subscribed to token creation events."})
                    )
                    for line in self.pump_events:
                        await ws.send_str(line)
        finally:
            self.pump_open -= 1
        return ws


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric_filter(value: str) -> int | None:
    for op in (">=", ">"):
        if value.startswith("created_at_i" + op):
            number = int(value[len("created_at_i" + op) :])
            return number if op == ">=" else number + 1
    return None


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def shifted(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


@pytest.fixture
async def upstream() -> AsyncIterator[UpstreamFake]:
    """A started UpstreamFake (import this fixture into a test module to use it)."""
    fake = UpstreamFake()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def eventually(check: Callable[[], bool], within: float = 10.0, step: float = 0.02) -> None:
    """Wait until check() is true; fails the test after `within` seconds."""
    for _ in range(int(within / step) + 1):
        if check():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {within}s")
