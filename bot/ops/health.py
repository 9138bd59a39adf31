"""The operator HTTP server: /healthz (liveness + storage), /readyz, /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from storage import db

log = logging.getLogger(__name__)

# (ready, reason) — the reason is shown on 503 so an operator sees what is missing.
ReadyCheck = Callable[[], tuple[bool, str]]
StorageCheck = Callable[[], Awaitable[bool]]

STORAGE_TIMEOUT = 3.0


class HealthServer:
    """aiohttp server bound to host:port (port 0 picks a free port; see `.port`)."""

    def __init__(
        self,
        host: str,
        port: int,
        ready: ReadyCheck,
        storage_ok: StorageCheck = db.ping,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.ready = ready
        self.storage_ok = storage_ok
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> int:
        """Bind and serve; returns the bound port. Raises OSError if the port is taken."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.requested_port
        log.info("health server on http://%s:%d (/healthz /readyz /metrics)", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        # Answering at all proves the event loop is alive; storage must answer as well.
        try:
            ok = await asyncio.wait_for(self.storage_ok(), STORAGE_TIMEOUT)
        except TimeoutError:
            return web.Response(status=503, text="storage: no answer within 3 s\n")
        if not ok:
            return web.Response(status=503, text="storage: not answering\n")
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, reason = self.ready()
        if ready:
            return web.Response(text=f"ready: {reason}\n" if reason else "ready\n")
        return web.Response(status=503, text=f"not ready: {reason}\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
