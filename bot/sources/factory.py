"""Build the configured connectors from Settings.source_specs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.posts import Post
from bot.sources.base import CursorStore, PollingSource, Source, StreamSource
from bot.sources.hackernews import HackerNewsSource
from bot.sources.http import HttpClient
from bot.sources.jetstream import JetstreamSource, parse_leader_dids
from bot.sources.mastodon import MastodonSource
from bot.sources.reddit import RedditSource
from bot.sources.replay import ReplaySource
from bot.sources.rss import RssSource
from bot.sources.spec import SourceSpec
from bot.sources.x import XSource
from bot.tokens.dexscreener import DexScreenerSource
from bot.tokens.geckoterminal import GeckoTerminalSource
from bot.tokens.pumpportal import PumpPortalSource
from bot.tokens.types import TokenLaunch

log = logging.getLogger(__name__)


@dataclass
class Sources:
    posts: list[Source[Post]] = field(default_factory=list)
    tokens: list[Source[TokenLaunch]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "x: no GHOSTWATCH_X_BEARER_TOKEN"

    def all(self) -> list[Source[Post] | Source[TokenLaunch]]:
        return [*self.posts, *self.tokens]

    @property
    def polling(self) -> list[PollingSource[Post] | PollingSource[TokenLaunch]]:
        return [s for s in self.all() if isinstance(s, PollingSource)]

    @property
    def streams(self) -> list[StreamSource[Post] | StreamSource[TokenLaunch]]:
        return [s for s in self.all() if isinstance(s, StreamSource)]


def _interval(spec: SourceSpec, default: float) -> float:
    try:
        value = float(spec.options.get("interval", default))
    except ValueError:
        return default
    return value if value > 0 else default


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else None


def build_sources(
    settings: Settings,
    *,
    http: HttpClient,
    cursors: CursorStore,
    phrases: Callable[[], Iterable[str]] = list,
    leaders: Callable[[], Iterable[str]] = list,
) -> Sources:
    """One connector per GHOSTWATCH_SOURCES entry; X without a token is skipped, not fatal."""
    out = Sources()
    for spec in settings.source_specs:
        try:
            _build_one(settings, spec, out, http, cursors, phrases, leaders)
        except ValueError as exc:
            # e.g. a mastodon target that is not HOST or HOST/tags/NAME: skip it, keep the rest
            out.skipped.append(f"{spec.display}: {exc}")
            log.error("source %s skipped: %s", spec.display, exc)
    return out


def _build_one(
    settings: Settings,
    spec: SourceSpec,
    out: Sources,
    http: HttpClient,
    cursors: CursorStore,
    phrases: Callable[[], Iterable[str]],
    leaders: Callable[[], Iterable[str]],
) -> None:
    poll = settings.poll_interval
    # the display name is what health, metrics and logs see; the full entry only keys cursors
    name, kind, target = spec.display, spec.kind, spec.target or ""
    common: dict[str, Any] = {"http": http, "cursors": cursors, "cursor_key": spec.name}
    if kind == "bluesky":
        dids = parse_leader_dids(settings.bluesky_leader_dids)
        # "bluesky:leaders" subscribes to the configured leader DIDs only
        wanted = list(dids) if target == "leaders" else []
        out.posts.append(
            JetstreamSource(
                name, url=settings.jetstream_url, leader_dids=dids, wanted_dids=wanted, **common
            )
        )
    elif kind == "hackernews":
        out.posts.append(
            HackerNewsSource(
                name,
                base_url=settings.hackernews_api_url,
                query=target,
                tags=spec.options.get("tags", "story"),
                interval=_interval(spec, poll),
                **common,
            )
        )
    elif kind == "rss":
        out.posts.append(RssSource(name, feed_url=target, interval=max(poll, 300.0), **common))
    elif kind == "reddit":
        out.posts.append(
            RedditSource(
                name,
                base_url=settings.reddit_api_url,
                subreddit=target,
                user_agent=settings.reddit_user_agent,
                client_id=settings.reddit_client_id,
                client_secret=_secret(settings.reddit_client_secret),
                interval=_interval(spec, max(poll, 120.0)),
                **common,
            )
        )
    elif kind == "mastodon":
        out.posts.append(
            MastodonSource(
                name,
                target=target,
                token=_secret(settings.mastodon_token),
                interval=_interval(spec, poll),
                **common,
            )
        )
    elif kind == "x":
        token = _secret(settings.x_bearer_token)
        if not token:
            out.skipped.append(f"{name}: GHOSTWATCH_X_BEARER_TOKEN is not set")
            log.warning("source %s skipped: GHOSTWATCH_X_BEARER_TOKEN is not set", name)
            return
        out.posts.append(
            XSource(
                name,
                base_url=settings.x_api_url,
                bearer_token=token,
                leaders=leaders,
                phrases=phrases,
                query=target or None,
                interval=_interval(spec, max(poll, 300.0)),
                **common,
            )
        )
    elif kind == "replay":
        out.posts.append(
            ReplaySource(
                name, path=Path(target), speed=float(spec.options.get("speed", 1.0)), **common
            )
        )
    elif kind == "dexscreener":
        out.tokens.append(
            DexScreenerSource(
                name,
                base_url=settings.dexscreener_api_url,
                phrases=phrases,
                interval=_interval(spec, poll),
                **common,
            )
        )
    elif kind == "geckoterminal":
        out.tokens.append(
            GeckoTerminalSource(
                name,
                base_url=settings.geckoterminal_api_url,
                network=target or "solana",
                interval=_interval(spec, max(poll, 60.0)),
                **common,
            )
        )
    elif kind == "pumpportal":
        out.tokens.append(PumpPortalSource(name, url=settings.pumpportal_ws_url, **common))
