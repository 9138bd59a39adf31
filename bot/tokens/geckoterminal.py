"""GeckoTerminal new pools per network (JSON:API; every number arrives as a string)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.posts import PostFormatError, parse_time
from bot.sources.base import CursorStore, PollingSource, SeenSet
from bot.sources.fields import clean_text
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceKind
from bot.sources.spec import SourceSpec, Target
from bot.tokens.types import TokenLaunch, is_address, is_chain, to_float

PAGES = 1  # new_pools pages per poll (20 pools each; the limit is 30 calls/min)


def parse_new_pools(doc: Any, network: str, now: datetime) -> tuple[list[TokenLaunch], int]:
    """Launches from a new_pools document, and how many pools were unusable."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise PostFormatError("not a JSON:API document")
    tokens: dict[str, dict[str, Any]] = {}
    included = doc.get("included")
    for item in included if isinstance(included, list) else []:
        if (
            isinstance(item, dict)
            and item.get("type") == "token"
            and isinstance(item.get("id"), str)
        ):
            attrs = item.get("attributes")
            if isinstance(attrs, dict):
                tokens[item["id"]] = attrs
    launches, bad = [], 0
    for pool in doc["data"]:
        try:
            launches.append(_pool(pool, tokens, network, now))
        except (PostFormatError, KeyError, TypeError, AttributeError):
            bad += 1
    return launches, bad


def _pool(
    pool: dict[str, Any], tokens: dict[str, dict[str, Any]], network: str, now: datetime
) -> TokenLaunch:
    attrs = pool["attributes"]
    relations = pool.get("relationships") or {}
    base_ref = relations["base_token"]["data"]["id"]
    dex = ((relations.get("dex") or {}).get("data") or {}).get("id")
    if not isinstance(attrs, dict) or not isinstance(base_ref, str):
        raise PostFormatError("pool without attributes or base token")
    token = tokens.get(base_ref)
    if token is not None:
        address, name, symbol = token.get("address"), token.get("name"), token.get("symbol")
    else:
        # without `include`, the token id is "<network>_<address>" and the pool name "SYM / SOL"
        address = base_ref.split("_", 1)[1] if "_" in base_ref else base_ref
        symbol = clean_text(attrs.get("name"), 200).split(" / ")[0]
        name = symbol
    if not is_address(address):
        raise PostFormatError("pool without a base token address")
    created = attrs.get("pool_created_at")
    try:
        launched = parse_time(created) if isinstance(created, str) and created else None
    except PostFormatError:
        launched = None  # a bad time loses the launch time, not the launch
    pool_address = attrs.get("address")
    return TokenLaunch(
        chain=network,
        address=address,
        name=clean_text(name, 200),
        symbol=clean_text(symbol, 50),
        source=f"geckoterminal:{dex}" if is_chain(dex) else "geckoterminal",
        seen_at=now,
        pair_url=(
            f"https://www.geckoterminal.com/{network}/pools/{pool_address}"
            if is_address(pool_address)
            else None
        ),
        liquidity_usd=to_float(attrs.get("reserve_in_usd")),
        launched_at=launched,
    )


class GeckoTerminalSource(PollingSource[TokenLaunch]):
    kind = "geckoterminal"

    def __init__(
        self,
        name: str,
        *,
        http: HttpClient,
        cursors: CursorStore,
        cursor_key: str | None = None,
        base_url: str,
        network: str = "solana",
        interval: float = 60.0,
    ) -> None:
        super().__init__(name, http=http, cursors=cursors, cursor_key=cursor_key)
        self.base_url = base_url.rstrip("/")
        self.network = network
        self.interval = interval
        self.seen = SeenSet(50_000)

    async def poll(self) -> list[TokenLaunch]:
        now = datetime.now(UTC)
        out: list[TokenLaunch] = []
        for page in range(1, PAGES + 1):
            doc = await self.http.get_json(
                self.name,
                f"{self.base_url}/networks/{self.network}/new_pools",
                params={"page": page, "include": "base_token,quote_token,dex"},
                headers={"Accept": "application/json"},
                rate_key="geckoterminal",
            )
            try:
                launches, bad = parse_new_pools(doc, self.network, now)
            except PostFormatError:
                self.health.skipped(self.name, "bad_shape")
                break
            if bad:
                self.health.skipped(self.name, "bad_item", bad)
            out.extend(launch for launch in launches if self.seen.add(launch.key))
        return out


def build(spec: SourceSpec, ctx: BuildContext) -> GeckoTerminalSource:
    return GeckoTerminalSource(
        **ctx.common(spec),
        base_url=ctx.settings.geckoterminal_api_url,
        network=spec.target or "solana",
        interval=ctx.interval(spec, floor=60.0),  # 30 calls a minute, bursty 429s
    )


# geckoterminal[:NETWORK] (default solana)
SOURCE = SourceKind("geckoterminal", Target.OPTIONAL, build, tokens=True)
