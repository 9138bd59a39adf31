"""DexScreener: latest token profiles and paid boosts, and pair search per narrative phrase."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.posts import PostFormatError
from bot.sources.base import CursorStore, PollingSource, SeenSet
from bot.sources.fields import clean_text, clean_url, epoch
from bot.sources.http import HttpClient, PayloadError, UpstreamError
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target
from bot.tokens.types import TokenLaunch, is_address, is_chain, to_float

MAX_ADDRESSES = 30  # /tokens/v1 takes up to 30 addresses per call
MAX_SEARCHES = 5


def parse_pair(pair: Any, now: datetime, source: str = "dexscreener") -> TokenLaunch | None:
    if not isinstance(pair, dict):
        return None
    base = pair.get("baseToken")
    chain = pair.get("chainId")
    if not isinstance(base, dict) or not is_chain(chain):
        return None
    address = base.get("address")
    if not is_address(address):
        return None
    try:
        launched = epoch(pair.get("pairCreatedAt"), millis=True)
    except PostFormatError:
        launched = None  # missing, junk or out of range: the launch time is just unknown
    liquidity = pair.get("liquidity")
    return TokenLaunch(
        chain=chain,
        address=address,
        name=clean_text(base.get("name"), 200),
        symbol=clean_text(base.get("symbol"), 50),
        source=source,
        seen_at=now,
        pair_url=clean_url(pair.get("url")),
        liquidity_usd=to_float(liquidity.get("usd")) if isinstance(liquidity, dict) else None,
        launched_at=launched if launched is not None and launched.timestamp() > 0 else None,
    )


class DexScreenerSource(PollingSource[TokenLaunch]):
    kind = "dexscreener"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        base_url: str,
        phrases: Callable[[], Iterable[str]] = list,
        interval: float = 60.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.base_url = base_url.rstrip("/")
        self.phrases = phrases
        self.interval = interval
        self.seen = SeenSet(50_000)

    async def _get(self, path: str, rate_key: str, **params: str) -> Any:
        return await self.http.get_json(
            self.name, f"{self.base_url}{path}", params=params or None, rate_key=rate_key
        )

    async def poll(self) -> list[TokenLaunch]:
        now = datetime.now(UTC)
        # (chain, address) -> (description, boosted) for profiles and boosts
        listed: dict[tuple[str, str], tuple[str, bool]] = {}
        for path, boosted in (
            ("/token-profiles/latest/v1", False),
            ("/token-boosts/latest/v1", True),
        ):
            try:
                items = await self._get(path, "dexscreener:profiles")
            except PayloadError:
                continue
            if not isinstance(items, list):
                self.health.skipped(self.name, "bad_shape")
                continue
            for item in items:
                chain = item.get("chainId") if isinstance(item, dict) else None
                address = item.get("tokenAddress") if isinstance(item, dict) else None
                if not is_chain(chain) or not is_address(address):
                    self.health.skipped(self.name, "bad_item")
                    continue
                description = clean_text(item.get("description"), 500)
                old = listed.get((chain, address), ("", False))
                listed[(chain, address)] = (
                    description or old[0],
                    old[1] or boosted or bool(to_float(item.get("amount"))),
                )
        launches: dict[tuple[str, str], TokenLaunch] = {}
        fresh = [key for key in listed if key not in self.seen]
        by_chain: dict[str, list[str]] = {}
        for chain, address in fresh:
            by_chain.setdefault(chain, []).append(address)
        for chain, addresses in by_chain.items():
            for i in range(0, len(addresses), MAX_ADDRESSES):
                chunk = ",".join(addresses[i : i + MAX_ADDRESSES])
                try:
                    pairs = await self._get(f"/tokens/v1/{chain}/{chunk}", "dexscreener:search")
                except (PayloadError, UpstreamError):
                    continue  # the profile alone is kept below
                self._add_pairs(pairs, launches, now)
        for key in fresh:
            description, boosted = listed[key]
            base = launches.get(key)
            if base is None:
                launches[key] = TokenLaunch(
                    chain=key[0],
                    address=key[1],
                    name="",
                    symbol="",
                    source=self.name,
                    seen_at=now,
                    description=description,
                    boosted=boosted,
                    pair_url=f"https://dexscreener.com/{key[0]}/{key[1]}",
                )
            else:
                launches[key] = _with(base, description=description, boosted=boosted)
        for phrase in list(self.phrases())[:MAX_SEARCHES]:
            try:
                found = await self._get("/latest/dex/search", "dexscreener:search", q=phrase)
            except PayloadError:
                continue
            pairs = found.get("pairs") if isinstance(found, dict) else None
            self._add_pairs(pairs, launches, now)
        out = []
        for key, launch in launches.items():
            if self.seen.add(key):
                out.append(launch)
        return out

    def _add_pairs(
        self, pairs: Any, into: dict[tuple[str, str], TokenLaunch], now: datetime
    ) -> None:
        if not isinstance(pairs, list):
            self.health.skipped(self.name, "bad_shape")
            return
        for pair in pairs:
            launch = parse_pair(pair, now, self.name)
            if launch is None:
                self.health.skipped(self.name, "bad_item")
                continue
            old = into.get(launch.key)
            # several pools per token: keep the oldest (the launch) and the deepest liquidity
            if old is None or (launch.launched_at or now) < (old.launched_at or now):
                into[launch.key] = launch


def _with(launch: TokenLaunch, *, description: str, boosted: bool) -> TokenLaunch:
    return replace(launch, description=description or launch.description, boosted=boosted)


def build(spec: SourceSpec, ctx: BuildContext) -> DexScreenerSource:
    return DexScreenerSource(
        **ctx.common(spec),
        base_url=ctx.settings.dexscreener_api_url,
        phrases=ctx.phrases,
        interval=ctx.interval(spec),
    )


SOURCE = SourceKind("dexscreener", Target.NONE, build, tokens=True)
