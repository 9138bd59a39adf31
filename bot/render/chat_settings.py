"""What a chat follows and how it is alerted: watch list, alert settings, leaders.

Both the lists (`/watchlist`, `/alerts`, `/leaders`) and the one-line replies when they change.
"""

from __future__ import annotations

from bot.i18n import t
from bot.render.clean import clean, handle
from bot.render.lines import Italic, Line, Section, bullet
from bot.service.types import (
    LeaderChange,
    LeaderEntry,
    LeaderList,
    SubscriptionSettings,
    UnwatchResult,
    WatchList,
    WatchResult,
)

# ---- one-line replies -----------------------------------------------------------------------


def watch_text(result: WatchResult, lang: str) -> str:
    """ "Watching phrase “vibe coding” (3/50)." or that it already was."""
    entry = result.entry
    kind = t(f"watch.kind.{entry.kind}", lang)
    key = "watch.added" if result.added else "watch.exists"
    display = clean(entry.display, defuse=False)
    return t(key, lang, kind=kind, display=display, count=result.count, limit=result.limit)


def unwatch_text(result: UnwatchResult, lang: str) -> str:
    kind = t(f"watch.kind.{result.entry.kind}", lang)
    return t("watch.removed", lang, kind=kind, display=clean(result.entry.display, defuse=False))


def watching_text(result: WatchResult, lang: str) -> str:
    """The answer to an alert's Watch button."""
    return t("callback.watching", lang, display=clean(result.entry.display))


def leader_text(key: str, change: LeaderChange, lang: str) -> str:
    """A leader change told with the catalog's `key` ("leaders.added", "leaders.removed", …)."""
    return t(key, lang, handle=handle(change.handle))


def quiet_text(value: str, mute: bool, lang: str) -> str:
    key = "alerts.quiet_added" if mute else "alerts.quiet_removed"
    return t(key, lang, value=clean(value, defuse=False))


# ---- watch list, alert settings, leaders ----------------------------------------------------


def watchlist_lines(result: WatchList, lang: str) -> tuple[Line, ...]:
    """ "• vibe coding (phrase)" per entry."""
    return tuple(
        bullet(
            clean(item.display, defuse=False),
            " ",
            Italic(f"({t(f'watch.kind.{item.kind}', lang)})"),
        )
        for item in result.items
    )


def disabled_reason(reason: str, lang: str) -> str:
    """Why alerts stopped: known delivery failures in the user's language, others as recorded."""
    if "50013" in reason or "50001" in reason or reason.startswith("forbidden"):
        return t("reason.missing_access", lang)
    return clean(reason, 200, defuse=False)


def settings_lines(result: SubscriptionSettings, lang: str, *, not_set: str) -> tuple[Line, ...]:
    """A chat's alert settings, on or off first; `not_set` says how to set alerts up."""
    if not result.subscribed:
        state = not_set
    else:
        state = t("alerts.status_enabled" if result.enabled else "alerts.status_disabled", lang)
    language = t(f"language.{result.language}", lang)
    lines = [
        state,
        t("alerts.status_threshold", lang, threshold=result.threshold),
        t("alerts.status_language", lang, language=language),
    ]
    quiet = [f"@{q}" for q in result.quiet_leaders] + list(result.quiet_phrases)
    if quiet:
        values = ", ".join(clean(q, 60, defuse=False) for q in quiet)
        lines.append(t("alerts.status_quiet", lang, values=values))
    if result.disabled_reason:
        reason = disabled_reason(result.disabled_reason, lang)
        lines.append(t("alerts.status_reason", lang, reason=reason))
    return tuple(Line.of(text) for text in lines)


def leader_line(entry: LeaderEntry) -> Line:
    """ "• @karpathy — Andrej Karpathy" (the name only when it says more than the handle)."""
    name = clean(entry.name, 80, defuse=False)
    shown = f"@{handle(entry.handle)}"
    return bullet(shown + (f" — {name}" if name and name != entry.handle else ""))


def leaders_lines(result: LeaderList, lang: str) -> tuple[tuple[Line, ...], Section]:
    """The tracked leaders, and a section with the ones this chat follows."""
    chat = tuple(leader_line(e) for e in result.chat_leaders)
    followed = Section(t("leaders.chat", lang), chat or (Line.of(t("leaders.none_chat", lang)),))
    return tuple(leader_line(e) for e in result.global_leaders), followed
