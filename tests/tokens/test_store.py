"""Token launches, matches and source cursors in the database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from bot.tokens.matcher import NarrativeRef, match_tokens
from bot.tokens.types import TokenLaunch
from storage.cursors import DbCursorStore
from storage.models import Narrative, TokenMatch
from storage.models import TokenLaunch as TokenRow
from storage.tokens import recent_launches, save_matches, upsert_launches

SEED = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def launch(symbol: str, name: str, launched: datetime | None, **kw: object) -> TokenLaunch:
    return TokenLaunch(
        chain="solana",
        address=f"mint-{symbol}",
        name=name,
        symbol=symbol,
        source="dexscreener",
        seen_at=SEED + timedelta(hours=1),
        launched_at=launched,
        **kw,  # type: ignore[arg-type]
    )


async def test_launches_and_matches_round_trip(storage: str) -> None:
    await Narrative.create(
        key="summon ghost",
        label="summoning ghosts",
        phrase="summon ghost",
        first_seen=SEED,
        updated_at=SEED,
        seed_post_at=SEED,
    )
    kg = launch("KGHOST", "KarpathyGhost", SEED + timedelta(minutes=42), liquidity_usd=24500.5)
    gfk = launch("GFK", "GHOSTFACE KILLAH", SEED - timedelta(hours=1), boosted=True)
    old = launch("GHOST", "Ghost Coin", datetime(2023, 7, 22, tzinfo=UTC))
    pepe = launch("PEPE", "Pepe", SEED)
    assert await upsert_launches([kg, gfk, old, pepe]) == 4
    # a second sighting without a name must not wipe the stored one; new liquidity is taken
    bare = TokenLaunch("solana", "mint-KGHOST", "", "", "pumpportal", SEED, liquidity_usd=30000.0)
    assert await upsert_launches([bare]) == 1
    row = await TokenRow.get(address="mint-KGHOST")
    assert (row.name, row.symbol, row.liquidity_usd) == ("KarpathyGhost", "KGHOST", 30000.0)
    recent = await recent_launches(SEED)
    assert {t.symbol for t in recent} == {"KGHOST", "GFK", "GHOST", "PEPE"}
    ref = NarrativeRef("summon ghost", ("summon ghost", "summoning ghosts"), SEED)
    matches = match_tokens(recent, [ref, NarrativeRef("not stored", ("pepe",), None)])
    assert await save_matches(matches) == 3  # the match to an unknown narrative is dropped
    stored = {
        m.token.symbol: m for m in await TokenMatch.all().prefetch_related("token", "narrative")
    }
    assert set(stored) == {"KGHOST", "GFK", "GHOST"}
    assert stored["KGHOST"].strong and stored["KGHOST"].after_seed
    assert stored["KGHOST"].delay_seconds == 42 * 60
    assert not stored["GFK"].strong and stored["GFK"].after_seed is False
    assert stored["GHOST"].after_seed is False
    assert stored["GHOST"].delay_seconds < -86400 * 365
    # matching again updates in place
    assert await save_matches(matches) == 3
    assert await TokenMatch.all().count() == 3


async def test_cursor_store(storage: str) -> None:
    cursors = DbCursorStore()
    assert await cursors.get("bluesky") is None
    await cursors.set("bluesky", '{"time_us": 1}')
    await cursors.set("bluesky", '{"time_us": 2}')
    assert await cursors.get("bluesky") == '{"time_us": 2}'


async def test_details_filled_in_later_are_cut_to_the_column_sizes(storage: str) -> None:
    # A nameless first sighting (pumpportal), then a source with an absurdly long name: on
    # PostgreSQL an uncut name fails the insert and rolls back every other launch in the batch.
    bare = TokenLaunch("solana", "mint-LONG", "", "", "pumpportal", SEED)
    assert await upsert_launches([bare]) == 1
    long_name = "ghost " * 60  # 360 characters; the column holds 200
    detailed = launch("L" * 100, long_name, SEED, pair_url="https://dex.example/" + "p" * 600)
    detailed = dataclasses.replace(detailed, address="mint-LONG")
    other = launch("PEPE", "Pepe", SEED)
    assert await upsert_launches([detailed, other]) == 2
    row = await TokenRow.get(address="mint-LONG")
    assert row.name == long_name[:200] and row.symbol == "L" * 64
    assert row.pair_url is not None and len(row.pair_url) == 500
    assert await TokenRow.filter(address="mint-PEPE").exists()
