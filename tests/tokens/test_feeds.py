"""Token launch connectors against the fake upstream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.sources.base import MemoryCursorStore
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient
from bot.tokens.dexscreener import DexScreenerSource
from bot.tokens.geckoterminal import GeckoTerminalSource
from bot.tokens.pumpportal import PumpPortalSource
from bot.tokens.types import TokenLaunch
from tests.fakes.upstream import UpstreamFake, eventually, upstream

__all__ = ["upstream"]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(health=HealthRegistry(), backoff_base=0.01)
    yield client
    await client.close()


async def test_dexscreener_profiles_boosts_and_search(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    source = DexScreenerSource(
        "dexscreener",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/dex",
        phrases=lambda: ["summoning ghosts"],
    )
    launches = {launch.symbol: launch for launch in await source.poll()}
    assert set(launches) == {"KGHOST", "PEPEC", "GFK", "SUMMON", "GHOST"}
    kg = launches["KGHOST"]
    assert kg.name == "KarpathyGhost" and kg.chain == "solana"
    assert kg.description == "Karpathy said we are summoning ghosts. We listened."
    assert kg.liquidity_usd == 24500.12
    assert kg.launched_at == datetime.fromtimestamp(1795863900, tz=UTC)
    assert kg.pair_url == "https://dexscreener.com/solana/Pair1kg"
    assert not kg.boosted
    assert launches["GFK"].boosted  # from /token-boosts: paid promotion
    assert launches["GHOST"].launched_at == datetime.fromtimestamp(1690000000, tz=UTC)
    # enrichment asked /tokens/v1 for exactly the profiled addresses, in one call per chain
    (tokens_call,) = upstream.calls("dex:tokens")
    assert tokens_call.path.startswith("/dex/tokens/v1/solana/")
    assert len(tokens_call.path.rsplit("/", 1)[1].split(",")) == 3
    assert upstream.calls("dex:search")[0].query == {"q": "summoning ghosts"}
    # bad items (a profile without address, a pair with a broken baseToken) were counted
    assert http.health.get("dexscreener").skipped == 2
    assert await source.poll() == []  # already seen


async def test_geckoterminal_new_pools_json_api(upstream: UpstreamFake, http: HttpClient) -> None:
    source = GeckoTerminalSource(
        "geckoterminal:solana",
        http=http,
        cursors=MemoryCursorStore(),
        base_url=f"{upstream.base}/gecko/api/v2",
        network="solana",
    )
    launches = await source.poll()
    ghost = next(launch for launch in launches if launch.symbol == "SGHOST")
    assert ghost.name == "Summoned Ghost"
    assert ghost.address == "GhoStS0LMint"
    assert ghost.liquidity_usd == 9876.54  # "9876.54" arrived as a string
    assert ghost.launched_at == datetime(2026, 11, 28, 11, 5, tzinfo=UTC)
    assert ghost.source == "geckoterminal:pump-fun"
    assert ghost.pair_url == "https://www.geckoterminal.com/solana/pools/PoolGh0st"
    assert len(launches) == 2
    assert http.health.get("geckoterminal:solana").skipped == 1  # the pool without relationships
    call = upstream.calls("gecko")[0]
    assert call.path == "/gecko/api/v2/networks/solana/new_pools"
    assert call.query["include"] == "base_token,quote_token,dex"


async def test_pumpportal_subscribes_once_and_parses_creates(
    upstream: UpstreamFake, http: HttpClient
) -> None:
    got: list[TokenLaunch] = []
    first = PumpPortalSource(
        "pumpportal",
        http=http,
        cursors=MemoryCursorStore(),
        url=f"{upstream.ws_base}/pumpportal/api/data",
    )
    second = PumpPortalSource(
        "pumpportal:2",
        http=http,
        cursors=MemoryCursorStore(),
        url=f"{upstream.ws_base}/pumpportal/api/data",
    )
    tasks = [asyncio.create_task(s.run(got.extend)) for s in (first, second)]
    await eventually(lambda: len(got) >= 2)
    await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task
    assert upstream.pump_subscribes == [{"method": "subscribeNewToken"}]
    assert upstream.pump_max_open == 1  # the second source waited: one connection only
    assert [(t.symbol, t.name, t.chain) for t in got] == [
        ("VIBE", "Vibe Coder", "solana"),
        ("MCAT", "Moon Cat", "solana"),
    ]
    assert got[0].pair_url == "https://pump.fun/coin/VibeC0derMint111111111111111111111111pump"
    assert first.subscribed
    assert http.health.get("pumpportal").skipped == 1  # the create without a mint
