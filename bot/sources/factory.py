"""Build the configured connectors from Settings.source_specs, each by its source kind."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.posts import Post
from bot.sources.base import CursorStore, PollingSource, Source, StreamSource
from bot.sources.http import HttpClient
from bot.sources.registry import BuildContext, SourceUnavailable, kinds
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


def build_sources(
    settings: Settings,
    *,
    http: HttpClient,
    cursors: CursorStore,
    phrases: Callable[[], Iterable[str]] = list,
    leaders: Callable[[], Iterable[str]] = list,
) -> Sources:
    """One connector per GHOSTWATCH_SOURCES entry, built by its kind (bot/sources/registry.py).

    A source that cannot run here (X without a token) or whose target its connector refuses
    (a mastodon target that is not HOST or HOST/tags/NAME) is skipped; the rest run.
    """
    out = Sources()
    context = BuildContext(settings, http, cursors, phrases, leaders)
    for spec in settings.source_specs:
        kind = kinds()[spec.kind]
        try:
            source = kind.build(spec, context)
        except SourceUnavailable as exc:
            out.skipped.append(f"{spec.display}: {exc}")
            log.warning("source %s skipped: %s", spec.display, exc)
            continue
        except ValueError as exc:
            out.skipped.append(f"{spec.display}: {exc}")
            log.error("source %s skipped: %s", spec.display, exc)
            continue
        (out.tokens if kind.tokens else out.posts).append(source)
    return out
