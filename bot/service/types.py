"""Plain data every NarrativeService call returns; front ends only render these.

Nothing here is platform-specific or pre-formatted: texts that users read are i18n keys with
parameters (`Reason`), so each renderer translates and escapes them in its own way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.engine.types import Lifecycle

Trend = Literal["rising", "peaking", "cooling"]
WatchKind = Literal["phrase", "leader", "token"]
HealthState = Literal["ok", "degraded", "down", "disabled"]

WATCH_KINDS: tuple[WatchKind, ...] = ("phrase", "leader", "token")


class SettingsScope(enum.StrEnum):
    """Where the settings of the chat a command comes from live (its follow list, its alerts)."""

    CHAT = "chat"  # the chat itself: a Telegram group, or a private chat with the bot
    # The Discord server: one follow list for all its channels, and its alert settings are
    # those of the one alert channel an admin chose (`NarrativeService.set_alert_channel`).
    GUILD = "guild"
    CHANNEL = "channel"  # the channel itself: a Discord DM, outside any server


@dataclass(frozen=True, slots=True)
class Caller:
    """Who issued a command, where. Front ends fill it; `is_admin` is their platform check."""

    platform: str  # "telegram" | "discord"
    chat_id: str  # chat/channel where the command was issued (for DMs: the DM chat)
    user_id: str
    is_admin: bool  # may change this chat's settings (always True in a private chat)
    language: str = "en"  # negotiated from the client locale (bot.i18n.negotiate)
    guild_id: str | None = None
    private: bool = False  # a one-to-one chat with the bot
    scope: SettingsScope = SettingsScope.CHAT

    def __post_init__(self) -> None:
        if self.scope is SettingsScope.GUILD and self.guild_id is None:
            raise ValueError("a server-wide caller needs its guild_id")

    @property
    def scope_id(self) -> str:
        """The id the caller's settings are kept under: the server's, else the chat's."""
        if self.scope is SettingsScope.GUILD and self.guild_id is not None:
            return self.guild_id
        return self.chat_id

    @property
    def operator_key(self) -> str:
        """How GHOSTWATCH_OPERATORS names this user ("telegram:123")."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete suggestion: what to show, and what to put in the command."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Reason:
    """One sentence of a score explanation: an i18n key (`reason.*`) and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostRef:
    """A scraped post as shown to users (all text fields are untrusted)."""

    author: str
    source: str
    text: str
    url: str | None
    created_at: datetime | None
    engagement: int = 0


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token launch matched to a narrative (name/symbol are untrusted)."""

    symbol: str
    name: str
    chain: str
    address: str
    url: str | None
    liquidity_usd: float | None
    launched_at: datetime | None
    after_seed: bool | None  # None when the narrative has no seed time
    delay_seconds: int | None  # launch time minus seed time
    similarity: float


@dataclass(frozen=True, slots=True)
class TokenSummary:
    count: int = 0
    first_delay_seconds: int | None = None  # earliest launch after the seed, seconds
    best: TokenInfo | None = None  # highest liquidity


@dataclass(frozen=True, slots=True)
class NarrativeSummary:
    key: str
    label: str
    phrase: str
    state: Lifecycle
    score: float
    trend: Trend
    sparkline: str  # e.g. "▁▂▃▅▇"
    leader: str | None  # handle without "@"
    seed_post_url: str | None
    authors: int
    mentions: int
    sources: tuple[str, ...]
    tokens: TokenSummary
    episode: int
    first_seen: datetime
    updated_at: datetime
    ref: str = ""  # short stable id for buttons/callbacks (<= 20 chars)
    phrases: tuple[str, ...] = ()  # the forms the engine joined, e.g. in another language
    posters: tuple[str, ...] = ()  # "network:author" of the stored top posts
    # Accounts the asking chat follows that wrote one of those posts (bot/service/follows.py)
    followed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CooledNarrative:
    """A narrative that alerted recently and is no longer live (for a quiet /ghosts)."""

    label: str
    peak_score: float
    peak_at: datetime
    cooled_at: datetime  # the last moment its score was at the alert line (or its last update)
    state: Lifecycle
    ref: str = ""


@dataclass(frozen=True, slots=True)
class GhostsResult:
    window_minutes: int
    narratives: tuple[NarrativeSummary, ...]
    generated_at: datetime
    # Filled only when nothing is live: what alerted in the last `recent_hours`, newest first.
    recent: tuple[CooledNarrative, ...] = ()
    recent_hours: int = 24


@dataclass(frozen=True, slots=True)
class NarrativeDetail:
    summary: NarrativeSummary
    reasons: tuple[Reason, ...]
    phrases: tuple[str, ...]
    first_post: PostRef | None
    top_posts: tuple[PostRef, ...]
    tokens: tuple[TokenInfo, ...]
    chart_png: bytes | None  # None when there is no history to draw


@dataclass(frozen=True, slots=True)
class WatchEntry:
    kind: WatchKind
    value: str  # canonical form used for matching
    display: str  # what the user typed (untrusted)


@dataclass(frozen=True, slots=True)
class WatchResult:
    entry: WatchEntry
    added: bool  # False when it was already on the list
    count: int
    limit: int


@dataclass(frozen=True, slots=True)
class UnwatchResult:
    entry: WatchEntry
    removed: bool  # False when it was not on the list


@dataclass(frozen=True, slots=True)
class WatchList:
    items: tuple[WatchEntry, ...]
    limit: int


@dataclass(frozen=True, slots=True)
class SubscriptionSettings:
    platform: str
    chat_id: str
    subscribed: bool  # False: no row yet (defaults shown)
    enabled: bool
    threshold: float
    language: str
    quiet_leaders: tuple[str, ...]
    quiet_phrases: tuple[str, ...]
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class LeaderEntry:
    handle: str
    name: str
    x_handle: str | None
    bluesky_handle: str | None
    is_global: bool  # shipped/configured, not added by this chat


@dataclass(frozen=True, slots=True)
class LeaderList:
    global_leaders: tuple[LeaderEntry, ...]
    chat_leaders: tuple[LeaderEntry, ...]


@dataclass(frozen=True, slots=True)
class LeaderChange:
    handle: str
    changed: bool  # False: already present (add) or not present (remove)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's health, as the source supervisor reports it to `status()`."""

    name: str
    state: HealthState
    last_success: datetime | None = None
    last_error: str | None = None  # one line, no secrets
    items: int = 0  # posts or launches read since start


@dataclass(frozen=True, slots=True)
class StatusReport:
    sources: tuple[SourceHealth, ...]
    last_scan: datetime | None  # newest narrative update
    narratives_tracked: int
    by_state: dict[Lifecycle, int]
    database_ok: bool
    alerts_pending: int
    # The service clock (stream time during replays): what `last_scan` is measured against.
    # Source health times are wall-clock times.
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertCard:
    """What one alert shows, for a chat or a direct message."""

    key: str
    label: str
    phrase: str
    score: float
    state: Lifecycle
    episode: int
    reasons: tuple[Reason, ...]
    leader: str | None
    seed_post_url: str | None
    tokens: TokenSummary
    details_command: str  # e.g. "/narrative vibe coding" (front ends may show it or a button)
    details_url: str | None = None
    matched_watch: WatchEntry | None = None  # set on direct messages: why the user got it
    ref: str = ""  # short stable id for buttons/callbacks (<= 20 chars)
    phrases: tuple[str, ...] = ()  # the forms the engine joined, e.g. in another language
