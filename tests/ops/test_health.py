"""The health server, served for real on a free port and queried over HTTP."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.metrics import ALERTS_SENT, REGISTRY
from bot.ops.health import HealthServer


async def _get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as resp,
    ):
        return resp.status, await resp.text()


async def test_healthz_is_ok_while_storage_answers(storage: str) -> None:
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""))
    port = await server.start()
    try:
        assert port > 0
        assert await _get(port, "/healthz") == (200, "ok\n")
    finally:
        await server.stop()


async def test_healthz_is_503_with_a_reason_when_storage_is_closed(tmp_path) -> None:
    # no storage opened at all: the real ping fails
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""))
    port = await server.start()
    try:
        status, body = await _get(port, "/healthz")
        assert status == 503 and "storage" in body
    finally:
        await server.stop()


async def test_healthz_times_out_a_hanging_storage(monkeypatch) -> None:
    import bot.ops.health as health

    monkeypatch.setattr(health, "STORAGE_TIMEOUT", 0.2)

    async def hang() -> bool:
        await asyncio.sleep(10)
        return True

    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""), storage_ok=hang)
    port = await server.start()
    try:
        status, body = await _get(port, "/healthz")
        assert status == 503 and "no answer" in body
    finally:
        await server.stop()


async def test_readyz_follows_the_ready_check() -> None:
    state = {"ready": False}
    server = HealthServer(
        "127.0.0.1",
        0,
        ready=lambda: (state["ready"], "scorer" if state["ready"] else "waiting for leadership"),
    )
    port = await server.start()
    try:
        assert await _get(port, "/readyz") == (503, "not ready: waiting for leadership\n")
        state["ready"] = True
        assert await _get(port, "/readyz") == (200, "ready: scorer\n")
    finally:
        await server.stop()


async def test_metrics_serves_the_shared_registry() -> None:
    before = REGISTRY.get_sample_value(
        "ghostwatch_alerts_sent_total", {"platform": "testplat", "kind": "chat"}
    )
    ALERTS_SENT.labels(platform="testplat", kind="chat").inc(3)
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""))
    port = await server.start()
    try:
        status, body = await _get(port, "/metrics")
    finally:
        await server.stop()
    assert status == 200
    expected = (before or 0) + 3
    assert f'ghostwatch_alerts_sent_total{{kind="chat",platform="testplat"}} {expected}' in body
    assert "ghostwatch_scoring_tick_seconds_bucket" in body


async def test_two_servers_on_port_zero_get_distinct_ports() -> None:
    a = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""))
    b = HealthServer("127.0.0.1", 0, ready=lambda: (True, ""))
    try:
        assert await a.start() != await b.start()
    finally:
        await a.stop()
        await b.stop()
