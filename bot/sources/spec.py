"""Parsing of GHOSTWATCH_SOURCES: which connectors run and with what target."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlsplit

# kind -> whether a target after "kind:" is required (True), optional (None) or forbidden (False)
SOURCE_KINDS: dict[str, bool | None] = {
    "bluesky": None,  # optional: comma-free list of DIDs is configured elsewhere
    "hackernews": None,  # optional search query
    "rss": True,  # feed URL
    "reddit": True,  # subreddit name
    "mastodon": True,  # instance host, optionally /tags/NAME
    "x": None,  # optional search query; needs GHOSTWATCH_X_BEARER_TOKEN
    "replay": True,  # path to a JSON Lines file, ?speed=N
    "dexscreener": False,
    "geckoterminal": None,  # network, default solana
    "pumpportal": False,
}

DEFAULT_SOURCES = "bluesky,hackernews,dexscreener,geckoterminal:solana"

TOKEN_SOURCES = frozenset({"dexscreener", "geckoterminal", "pumpportal"})


class SourceSpecError(ValueError):
    """A GHOSTWATCH_SOURCES entry that cannot be used."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str
    target: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    # What users, logs and metrics see; parse_sources() adds a hash when two would look alike.
    display: str = ""

    def __post_init__(self) -> None:
        if not self.display:
            object.__setattr__(self, "display", display_name(self.kind, self.target))

    @property
    def name(self) -> str:
        """The full configured entry: the cursor key, never shown (it may hold a secret URL)."""
        return f"{self.kind}:{self.target}" if self.target else self.kind

    @property
    def is_token_source(self) -> bool:
        return self.kind in TOKEN_SOURCES


def _host(parts_netloc: str) -> str:
    """host[:port] of a netloc, without any user:password@ part."""
    return parts_netloc.rpartition("@")[2]


def display_name(kind: str, target: str | None) -> str:
    """A name safe to show: a URL target is cut to scheme and host (no user, path or query)."""
    if not target:
        return kind
    if kind == "rss":
        parts = urlsplit(target)
        return f"{kind}:{parts.scheme}://{_host(parts.netloc)}"
    if kind == "mastodon":
        # HOST, HOST/tags/NAME or a full URL: keep the host and tag, drop scheme and user
        rest = target.split("://", 1)[1] if "://" in target else target
        host, _, path = rest.partition("/")
        return f"{kind}:{_host(host)}" + (f"/{path.strip('/')}" if path.strip("/") else "")
    return f"{kind}:{target}"


def short_hash(text: str) -> str:
    """Six hex digits: enough to tell configured sources apart, too few to recover a secret."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]


def parse_source(entry: str) -> SourceSpec:
    entry = entry.strip()
    kind, sep, rest = entry.partition(":")
    kind = kind.strip().lower()
    if kind not in SOURCE_KINDS:
        known = ", ".join(sorted(SOURCE_KINDS))
        raise SourceSpecError(f"unknown source {kind!r} (known: {known})")
    needs = SOURCE_KINDS[kind]
    target: str | None = rest.strip() if sep else None
    options: dict[str, str] = {}
    if target and kind != "rss" and "?" in target:
        # rss URLs keep their own query strings; other kinds take ?key=value options
        target, _, query = target.partition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
    if needs is True and not target:
        raise SourceSpecError(f"source {kind!r} needs a target, e.g. {kind}:VALUE")
    if needs is False and target:
        raise SourceSpecError(f"source {kind!r} takes no target")
    if kind == "rss" and target:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # the value is not echoed: a feed URL can carry a token
            raise SourceSpecError("rss target must be an http(s) URL")
    if kind == "replay" and "speed" in options:
        try:
            speed = float(options["speed"])
        except ValueError:
            raise SourceSpecError("replay speed must be a number >= 0") from None
        if speed < 0:
            raise SourceSpecError("replay speed must be a number >= 0")
    return SourceSpec(kind=kind, target=target or None, options=options)


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
        handle, did = handle.strip().lstrip("@").lower(), did.strip()
        if not sep or not handle or not did.startswith("did:"):
            raise SourceSpecError(f"expected handle=did:plc:..., got {entry[:60]!r}")
        mapping[did] = handle
    return mapping
