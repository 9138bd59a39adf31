"""The normalized token launch every token connector produces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from bot.sources.fields import finite


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
    """Upstream numbers arrive as numbers or strings ("123.45"); junk, NaN and inf become None."""
    return finite(value)


# Chain ids ("solana", "bsc") and token addresses (base58, 0x-hex, "0x2::sui::SUI"). They end
# up in request paths and in stored keys, so anything else (a "/", a 5 MB string) is refused.
_CHAIN = re.compile(r"[a-z0-9_-]{1,40}")
_ADDRESS = re.compile(r"[A-Za-z0-9:_.-]{1,200}")


def is_chain(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _CHAIN.fullmatch(value) is not None


def is_address(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _ADDRESS.fullmatch(value) is not None
