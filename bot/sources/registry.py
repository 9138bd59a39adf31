"""The source kinds: every connector module declares its own, this module finds them.

A module in `bot/sources/` or `bot/tokens/` that defines a module-level
`SOURCE = SourceKind(...)` is a source kind: its name is what GHOSTWATCH_SOURCES entries start
with, and its `build` turns one entry into a connector. Adding a source is therefore one new
module; nothing else lists the kinds (see docs/architecture.md, "Adding a source").

The modules are imported on the first call of `kinds()`, not when this module is imported, so
configuration (bot/config.py) can use `parse_sources` without importing every connector first.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.sources.spec import SourceSpec, SourceSpecError, Target, split_entry, with_unique_displays

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.sources.base import CursorStore, Source
    from bot.sources.http import HttpClient

# The packages searched for SOURCE declarations.
PACKAGES = ("bot.sources", "bot.tokens")


class SourceUnavailable(Exception):
    """A configured source that cannot run in this configuration (X without a bearer token).

    The factory skips it with a warning instead of stopping start-up; the message says why.
    """


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a connector may use when it is built: settings and the shared parts."""

    settings: Settings
    http: HttpClient
    cursors: CursorStore
    phrases: Callable[[], Iterable[str]] = list  # the phrases being scored now
    leaders: Callable[[], Iterable[str]] = list  # the leader handles being tracked now

    def common(self, spec: SourceSpec) -> dict[str, Any]:
        """Keyword arguments every Source takes: display name as `name`, cursor key, shared
        HTTP client and cursor store."""
        return {
            "name": spec.display,
            "cursor_key": spec.cursor_key,
            "http": self.http,
            "cursors": self.cursors,
        }

    def interval(self, spec: SourceSpec, floor: float = 0.0) -> float:
        """Seconds between polls: `?interval=N` if valid, else the poll interval, not below
        `floor` (a documented upstream limit)."""
        default = max(self.settings.poll_interval, floor)
        try:
            value = float(spec.options.get("interval", default))
        except ValueError:
            return default
        return value if value > 0 else default

    @staticmethod
    def secret(value: Any) -> str | None:
        """The plain value of a SecretStr setting, or None when it is unset."""
        getter = getattr(value, "get_secret_value", None)
        return getter() if callable(getter) else None


@dataclass(frozen=True, slots=True)
class SourceKind:
    """One kind of source, declared as `SOURCE = SourceKind(...)` in its connector module."""

    name: str  # "rss": entries read "rss:URL"
    target: Target
    build: Callable[[SourceSpec, BuildContext], Source[Any]]  # raises SourceUnavailable
    tokens: bool = False  # reads token launches (TokenLaunch), not posts
    raw_target: bool = False  # a "?" belongs to the target (a feed URL), not to options
    # Configuration-time checks of an entry; raise SourceSpecError (one line, no secrets).
    check: Callable[[SourceSpec], None] | None = None
    # The shown form of an entry (default: spec.display_name, URLs cut to scheme and host).
    display: Callable[[SourceSpec], str] | None = None
    example: str = field(default="VALUE")  # the target in "needs a target, e.g. rss:VALUE"


@cache
def kinds() -> dict[str, SourceKind]:
    """Every declared source kind by name; imports the connector modules once."""
    return discover(PACKAGES)


def discover(packages: Iterable[str]) -> dict[str, SourceKind]:
    """The SOURCE declarations of every module directly inside the given packages."""
    found: dict[str, SourceKind] = {}
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            kind = getattr(module, "SOURCE", None)
            if not isinstance(kind, SourceKind):
                continue
            if kind.name in found:
                raise RuntimeError(f"source kind {kind.name!r} is declared twice")
            found[kind.name] = kind
    return dict(sorted(found.items()))


def parse_source(entry: str) -> SourceSpec:
    """One entry, checked against its kind; raises SourceSpecError."""
    kind_name = entry.strip().partition(":")[0].strip().lower()
    kind = kinds().get(kind_name)
    if kind is None:
        known = ", ".join(kinds())
        raise SourceSpecError(f"unknown source {kind_name!r} (known: {known})")
    spec = split_entry(entry, raw_target=kind.raw_target)
    if kind.target is Target.REQUIRED and not spec.target:
        raise SourceSpecError(
            f"source {kind.name!r} needs a target, e.g. {kind.name}:{kind.example}"
        )
    if kind.target is Target.NONE and spec.target:
        raise SourceSpecError(f"source {kind.name!r} takes no target")
    if kind.check is not None:
        kind.check(spec)
    display = kind.display(spec) if kind.display is not None else spec.display
    return SourceSpec(spec.kind, spec.target, spec.options, display=display, tokens=kind.tokens)


def parse_sources(value: str) -> list[SourceSpec]:
    """Parse a comma-separated source list; raises SourceSpecError naming the bad entry."""
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for entry in value.split(","):
        if not entry.strip():
            continue
        spec = parse_source(entry)
        if spec.name in seen:
            raise SourceSpecError(f"source {spec.display!r} is listed twice")
        seen.add(spec.name)
        specs.append(spec)
    return with_unique_displays(specs)
