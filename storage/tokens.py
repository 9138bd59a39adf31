"""Token launches and their matches to narratives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot.tokens.matcher import TokenMatchResult
from bot.tokens.types import TokenLaunch
from storage.models import Narrative, TokenMatch
from storage.models import TokenLaunch as TokenRow


def _fields(launch: TokenLaunch) -> dict[str, Any]:
    return {
        "name": launch.name[:200],
        "symbol": launch.symbol[:64],
        "description": launch.description,
        "source": launch.source[:32],
        "pair_url": launch.pair_url[:500] if launch.pair_url else None,
        "liquidity_usd": launch.liquidity_usd,
        "boosted": launch.boosted,
        "launched_at": launch.launched_at,
        "seen_at": launch.seen_at,
    }


async def upsert_launches(launches: Sequence[TokenLaunch]) -> int:
    """Insert new launches; fill in what a later source knows better. Returns rows written."""
    written = 0
    async with in_transaction():
        for launch in launches:
            chain, address = launch.chain[:32], launch.address[:128]
            row = await TokenRow.get_or_none(chain=chain, address=address)
            if row is None:
                await TokenRow.create(chain=chain, address=address, **_fields(launch))
                written += 1
                continue
            changed = False
            fitted = _fields(launch)  # cut to the column sizes, as for a new row
            # keep the first sighting; only add facts the stored row lacks
            for attr in ("name", "symbol", "description", "pair_url"):
                if not getattr(row, attr) and fitted[attr]:
                    setattr(row, attr, fitted[attr])
                    changed = True
            if launch.liquidity_usd is not None and row.liquidity_usd != launch.liquidity_usd:
                row.liquidity_usd = launch.liquidity_usd
                changed = True
            if launch.boosted and not row.boosted:
                row.boosted = changed = True
            if launch.launched_at and (
                row.launched_at is None or launch.launched_at < row.launched_at
            ):
                row.launched_at = launch.launched_at
                changed = True
            if changed:
                await row.save()
                written += 1
    return written


def _launch(row: TokenRow) -> TokenLaunch:
    return TokenLaunch(
        chain=row.chain,
        address=row.address,
        name=row.name,
        symbol=row.symbol,
        source=row.source,
        seen_at=row.seen_at,
        description=row.description,
        pair_url=row.pair_url,
        liquidity_usd=row.liquidity_usd,
        boosted=row.boosted,
        launched_at=row.launched_at,
    )


async def recent_launches(since: datetime, limit: int = 5000) -> list[TokenLaunch]:
    rows = await TokenRow.filter(seen_at__gte=since).order_by("-seen_at").limit(limit)
    return [_launch(row) for row in rows]


async def save_matches(matches: Sequence[TokenMatchResult]) -> int:
    """Upsert TokenMatch rows for matches whose narrative and token are stored."""
    if not matches:
        return 0
    keys = {m.narrative_key for m in matches}
    narratives = dict(await Narrative.filter(key__in=keys).values_list("key", "id"))
    saved = 0
    now = datetime.now(UTC)
    async with in_transaction():
        for match in matches:
            narrative_id = narratives.get(match.narrative_key)
            token = await TokenRow.get_or_none(chain=match.token.chain, address=match.token.address)
            if narrative_id is None or token is None:
                continue
            await TokenMatch.update_or_create(
                defaults={
                    "similarity": match.similarity,
                    "strong": match.strong,
                    "after_seed": match.after_seed,
                    "delay_seconds": match.delay_seconds,
                    "matched_at": now,
                },
                token_id=token.id,
                narrative_id=narrative_id,
            )
            saved += 1
    return saved
