"""One GHOSTWATCH_SOURCES entry as data: kind, target, options and a display name.

Which kinds exist, and what each accepts, is up to the connectors (bot/sources/registry.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import Enum
from urllib.parse import parse_qsl, urlsplit

from bot.leaders import normalize_handle

DEFAULT_SOURCES = "bluesky,hackernews,dexscreener,geckoterminal:solana"
MAX_CURSOR_KEY = 300  # storage.models.SourceCursor.source


class Target(Enum):
    """Whether a source kind takes a target after "kind:"."""

    REQUIRED = "required"  # rss:URL, reddit:SUBREDDIT
    OPTIONAL = "optional"  # hackernews[:QUERY]
    NONE = "none"  # dexscreener


class SourceSpecError(ValueError):
    """A GHOSTWATCH_SOURCES entry that cannot be used."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str
    target: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    # What users, logs and metrics see; parse_sources() adds a hash when two would look alike.
    display: str = ""
    tokens: bool = False  # the source reads token launches, not posts

    def __post_init__(self) -> None:
        if not self.display:
            object.__setattr__(self, "display", display_name(self.kind, self.target))

    @property
    def name(self) -> str:
        """The full configured entry: the cursor key, never shown (it may hold a secret URL)."""
        return f"{self.kind}:{self.target}" if self.target else self.kind

    @property
    def cursor_key(self) -> str:
        """The key of this source's resume position: the entry itself, or for an entry longer
        than the cursor table's key column (300), its kind and a full hash of it."""
        name = self.name
        if len(name) <= MAX_CURSOR_KEY:
            return name
        return f"{self.kind}:#{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()}"

    @property
    def is_token_source(self) -> bool:
        return self.tokens


def host_of(parts_netloc: str) -> str:
    """host[:port] of a netloc, without any user:password@ part."""
    return parts_netloc.rpartition("@")[2]


def display_name(kind: str, target: str | None) -> str:
    """A name safe to show: a URL target is cut to scheme and host (no user, path or query)."""
    if not target:
        return kind
    if "://" in target:
        parts = urlsplit(target)
        return f"{kind}:{parts.scheme}://{host_of(parts.netloc)}"
    return f"{kind}:{target}"


def short_hash(text: str) -> str:
    """Six hex digits: enough to tell configured sources apart, too few to recover a secret."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]


def split_entry(entry: str, *, raw_target: bool = False) -> SourceSpec:
    """`kind[:target][?key=value&...]` as written; raw_target keeps a "?" in the target."""
    kind, sep, rest = entry.strip().partition(":")
    target: str | None = rest.strip() if sep else None
    options: dict[str, str] = {}
    if target and not raw_target and "?" in target:
        target, _, query = target.partition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
    return SourceSpec(kind=kind.strip().lower(), target=target or None, options=options)


def with_unique_displays(specs: list[SourceSpec]) -> list[SourceSpec]:
    """Add a short hash to display names that two sources would otherwise share."""
    displays = [spec.display for spec in specs]
    return [
        replace(spec, display=f"{spec.display}#{short_hash(spec.name)}")
        if displays.count(spec.display) > 1
        else spec
        for spec in specs
    ]


def parse_leader_dids(entries: list[str]) -> dict[str, str]:
    """GHOSTWATCH_BLUESKY_LEADER_DIDS entries `handle=did:plc:...` -> {did: handle}."""
    mapping: dict[str, str] = {}
    for entry in entries:
        handle, sep, did = entry.partition("=")
        handle, did = normalize_handle(handle), did.strip()
        if not sep or not handle or not did.startswith("did:"):
            raise SourceSpecError(f"expected handle=did:plc:..., got {entry[:60]!r}")
        mapping[did] = handle
    return mapping
