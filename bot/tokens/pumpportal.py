"""PumpPortal's new-token websocket (pump.fun launches). One connection per process only."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.metrics import TOKENS_SEEN
from bot.sources.base import CursorStore, SeenSet, Sink, StreamSource
from bot.sources.fields import clean_text
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target
from bot.tokens.types import TokenLaunch, is_address

log = logging.getLogger(__name__)

MAX_FRAME = 256 * 1024
# PumpPortal blocks clients that open more than one connection: one lock per event loop.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _one_connection() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(loop)
    if lock is None:
        lock = _LOCKS[loop] = asyncio.Lock()
    return lock


def parse_create(event: Any, now: datetime) -> TokenLaunch | None:
    """A launch for a create event; None for acks and other messages (parsed leniently)."""
    if not isinstance(event, dict):
        return None
    if event.get("txType") not in (None, "create") or "message" in event:
        return None
    mint = event.get("mint")
    if not is_address(mint):
        return None
    return TokenLaunch(
        chain="solana",
        address=mint,
        name=clean_text(event.get("name"), 200),
        symbol=clean_text(event.get("symbol"), 50),
        source="pumpportal",
        seen_at=now,
        pair_url=f"https://pump.fun/coin/{mint}",
        liquidity_usd=None,
        launched_at=now,  # the event carries no time: it is delivered as the token is created
        description=clean_text(event.get("uri"), 500),
    )


class PumpPortalSource(StreamSource[TokenLaunch]):
    kind = "pumpportal"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        url: str,
        cursor_key: str | None = None,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.url = url
        self.seen = SeenSet(50_000)
        self.subscribed = False

    async def run(self, emit: Sink[TokenLaunch]) -> None:
        async with (
            _one_connection(),
            self.http.session.ws_connect(self.url, heartbeat=30.0) as ws,
        ):
            await ws.send_json({"method": "subscribeNewToken"})
            self.http.succeeded(self.name)
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.ERROR:
                    raise ConnectionError(f"pumpportal websocket error: {ws.exception()!r}")
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                self._frame(msg.data, emit)
        self.subscribed = False
        raise ConnectionError("pumpportal closed the connection")

    def _frame(self, data: str, emit: Sink[TokenLaunch]) -> None:
        if len(data) > MAX_FRAME:
            self.health.skipped(self.name, "too_large")
            return
        try:
            event = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            self.health.skipped(self.name, "bad_json")
            return
        if isinstance(event, dict) and isinstance(event.get("message"), str):
            self.subscribed = True
            self.health.success(self.name)
            return
        launch = parse_create(event, datetime.now(UTC))
        if launch is None:
            self.health.skipped(self.name, "bad_item")
            return
        if self.seen.add(launch.key):
            emit([launch])
            TOKENS_SEEN.labels(self.name).inc()
            self.health.success(self.name, 1)


def build(spec: SourceSpec, ctx: BuildContext) -> PumpPortalSource:
    return PumpPortalSource(**ctx.common(spec), url=ctx.settings.pumpportal_ws_url)


SOURCE = SourceKind("pumpportal", Target.NONE, build, tokens=True)
