"""Properties of the token launch feeds: whatever DexScreener, GeckoTerminal or PumpPortal send,
nothing crashes, and every launch kept is safe to match, store and show.

Seeds are the real recorded payloads in tests/fixtures/upstream-real.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.posts import PostFormatError
from bot.sources.base import MemoryCursorStore
from bot.sources.http import PayloadError, UpstreamError
from bot.tokens.dexscreener import DexScreenerSource, parse_pair
from bot.tokens.geckoterminal import GeckoTerminalSource, parse_new_pools
from bot.tokens.pumpportal import PumpPortalSource, parse_create
from bot.tokens.types import TokenLaunch, is_address, is_chain, to_float
from tests.strategies import (
    ScriptedHttp,
    bodies,
    json_values,
    mutated,
    nested,
    real_bytes,
    real_json,
    run,
    storable,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SEARCH = real_json("dexscreener/search-q-SOL.json")
BONK = real_json("dexscreener/tokens-bonk.json")
PROFILES = real_json("dexscreener/token-profiles-latest.json")
BOOSTS = real_json("dexscreener/token-boosts-latest.json")
NEW_POOLS = real_json("geckoterminal/solana-new-pools-include-2025-09-09.json")
TRENDING = real_json("geckoterminal/solana-trending-pools.json")
PUMP_FRAMES = real_bytes("pumpportal/session-newtoken-migration.jsonl").decode().splitlines()
PUMP_EVENTS = [json.loads(frame) for frame in PUMP_FRAMES]

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sane_launch(launch: TokenLaunch) -> None:
    assert is_chain(launch.chain) and is_address(launch.address)
    assert storable(launch.name, 200) and storable(launch.symbol, 50)
    assert storable(launch.description, 500) and storable(launch.source, 200)
    assert launch.pair_url is None or storable(launch.pair_url, 1000)
    assert launch.liquidity_usd is None or math.isfinite(launch.liquidity_usd)
    assert launch.launched_at is None or launch.launched_at.tzinfo is not None


def test_every_real_recorded_launch_parses() -> None:
    pairs = SEARCH["pairs"] + BONK["pairs"]
    for pair in pairs:
        launch = parse_pair(pair, NOW)
        assert launch is not None
        assert_sane_launch(launch)
    for doc in (NEW_POOLS, TRENDING):
        launches, bad = parse_new_pools(doc, "solana", NOW)
        assert launches and bad == 0
        for launch in launches:
            assert_sane_launch(launch)
    creates = [parse_create(event, NOW) for event in PUMP_EVENTS]
    kept = [launch for launch in creates if launch is not None]
    assert len(kept) >= 190  # the creates; acks and migrations are not launches
    for launch in kept:
        assert_sane_launch(launch)


def test_numbers_are_finite_or_none() -> None:
    for value in ("NaN", "nan", "inf", "-Infinity", "1e999", float("nan"), 10**400, True, "x"):
        assert to_float(value) is None, value
    assert to_float("0.0") == 0.0 and to_float(12) == 12.0 and to_float("1.5") == 1.5


@PROPERTY
@given(st.one_of(mutated(SEARCH["pairs"][0]), mutated(BONK["pairs"][3]), json_values))
@example({"chainId": "solana", "baseToken": {"address": "A"}, "pairCreatedAt": float("inf")})
@example({"chainId": "solana", "baseToken": {"address": "A"}, "pairCreatedAt": 10**30})
@example({"chainId": "solana", "baseToken": {"address": "A"}, "liquidity": {"usd": "NaN"}})
@example({"chainId": "solana", "baseToken": {"address": "A/../x", "name": "\x00"}})
@example({"chainId": "../../v1", "baseToken": {"address": "A"}})
def test_dexscreener_pairs(pair: Any) -> None:
    launch = parse_pair(pair, NOW)
    if launch is not None:
        assert_sane_launch(launch)


@PROPERTY
@given(st.one_of(mutated(NEW_POOLS, max_changes=6), mutated(TRENDING, max_changes=6), json_values))
@example({"data": [], "included": 5})
@example({"data": [{"attributes": [], "relationships": {}}]})
@example(
    {
        "data": [
            {
                "attributes": {"pool_created_at": "+99999-01-01"},
                "relationships": {"base_token": {"data": {"id": "solana_A"}}},
            }
        ]
    }
)
def test_geckoterminal_documents(doc: Any) -> None:
    try:
        launches, bad = parse_new_pools(doc, "solana", NOW)
    except PostFormatError:
        return
    assert bad >= 0
    for launch in launches:
        assert_sane_launch(launch)


@PROPERTY
@given(st.one_of(st.sampled_from(PUMP_EVENTS).flatmap(mutated), json_values))
@example({"txType": "create", "mint": "M" * 10_000})
@example({"txType": "create", "mint": "M", "name": "\ud800", "uri": {"a": 1}})
def test_pumpportal_events(event: Any) -> None:
    launch = parse_create(event, NOW)
    if launch is not None:
        assert_sane_launch(launch)


@PROPERTY
@given(
    st.one_of(
        st.sampled_from(PUMP_FRAMES),
        st.sampled_from(PUMP_EVENTS).flatmap(mutated).map(json.dumps),
        st.text(max_size=200),
        st.integers(min_value=1, max_value=120_000).map(lambda n: "[" * n + "]" * n),
    )
)
@example("[" * 100_000)
@example('{"txType": "create", "mint": "M", "name": NaN}')
@example("x" * 300_000)
def test_pumpportal_frames(frame: str) -> None:
    source = PumpPortalSource(
        "pumpportal",
        http=ScriptedHttp(lambda _m, _u: b""),
        cursors=MemoryCursorStore(),
        url="ws://x",
    )
    emitted: list[TokenLaunch] = []
    health = source.health.get("pumpportal")
    source._frame(frame, emitted.extend)  # never raises: a frame is kept, an ack or skipped
    for launch in emitted:
        assert_sane_launch(launch)
    assert len(emitted) + health.skipped + int(source.subscribed) >= 1


def dex_source(answer: Any) -> DexScreenerSource:
    return DexScreenerSource(
        "dexscreener",
        http=ScriptedHttp(answer),
        cursors=MemoryCursorStore(),
        base_url="https://dex.test",
        phrases=lambda: ["ghosts"],
    )


def polled_launches(source: Any) -> None:
    try:
        launches = run(source.poll())
    except PayloadError:
        assert source.health.get(source.name).skipped >= 1
        return
    except UpstreamError:
        assert source.health.get(source.name).last_error
        return
    for launch in launches:
        assert_sane_launch(launch)


@PROPERTY
@given(bodies(PROFILES), bodies(BOOSTS), bodies(BONK["pairs"]), bodies(SEARCH))
@example(nested(100_000), nested(100_000), nested(100_000), nested(100_000))
def test_dexscreener_polls(profiles: bytes, boosts: bytes, tokens: bytes, search: bytes) -> None:
    def answer(_method: str, url: str) -> bytes:
        if "token-profiles" in url:
            return profiles
        if "token-boosts" in url:
            return boosts
        return tokens if "/tokens/v1/" in url else search

    polled_launches(dex_source(answer))


@PROPERTY
@given(bodies(NEW_POOLS))
@example(nested(100_000))
@example(b'{"data": [], "included": {"a": 1}}')
def test_geckoterminal_polls(body: bytes) -> None:
    source = GeckoTerminalSource(
        "geckoterminal:solana",
        http=ScriptedHttp(lambda _m, _u: body),
        cursors=MemoryCursorStore(),
        base_url="https://gecko.test",
    )
    polled_launches(source)
