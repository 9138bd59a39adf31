"""The normalized token launch every token connector produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TokenLaunch:
    chain: str
    address: str
    name: str
    symbol: str
    source: str
    seen_at: datetime
    description: str = ""
    pair_url: str | None = None
    liquidity_usd: float | None = None
    boosted: bool = False  # a paid DexScreener boost: promotion, not organic interest
    launched_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.chain, self.address)


def to_float(value: Any) -> float | None:
    """Upstream numbers arrive as numbers or strings ("123.45"); junk becomes None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
