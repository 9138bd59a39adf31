"""User-facing errors: each carries an i18n key and parameters, never a rendered text.

Front ends catch `ServiceError` once (in their single error handler) and show
`t(err.key, lang, **err.params)`. Any other exception is a bug: log it, answer "error.internal".
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    key = "error.internal"

    def __init__(self, **params: Any) -> None:
        super().__init__(self.key)
        self.params = params


class BadArgument(ServiceError):
    """A command was used wrongly; `usage` names the command whose usage line to show."""

    key = "error.bad_argument"

    def __init__(self, usage: str, detail_key: str | None = None, **params: Any) -> None:
        super().__init__(usage=usage, **params)
        self.usage = usage
        self.detail_key = detail_key  # optional i18n key saying what exactly was wrong


class NotAdmin(ServiceError):
    key = "error.not_admin"


class UnknownNarrative(ServiceError):
    key = "error.unknown_narrative"  # params: query


class WatchLimitReached(ServiceError):
    key = "error.watch_limit"  # params: limit


class WatchItemTooLong(ServiceError):
    key = "error.watch_too_long"  # params: limit


class NotWatching(ServiceError):
    key = "error.not_watching"  # params: value


class UnknownLeader(ServiceError):
    key = "error.unknown_leader"  # params: handle


class LeaderLimitReached(ServiceError):
    key = "error.leader_limit"  # params: limit


class NotOperator(ServiceError):
    """Only the operators in GHOSTWATCH_OPERATORS change the global leader set."""

    key = "error.not_operator"


class FollowsInGroupsOnly(ServiceError):
    """A private chat has no follow list: every user is "admin" there."""

    key = "error.follows_private"


class LeaderConfigured(ServiceError):
    key = "error.leader_configured"  # params: handle


class MissingRight(ServiceError):
    """An admin, but without the right this change needs (Telegram: "Change group info")."""

    key = "error.no_right"


class AnonymousAdmin(ServiceError):
    """Telegram hides which anonymous admin sent a command, so their rights are unknown."""

    key = "error.anonymous_admin"


class NoAlertChannel(ServiceError):
    """A server's alert settings were changed before an admin chose its alert channel.

    Only server-wide callers (`SettingsScope.GUILD`, Discord) meet it.
    """

    key = "reply.alerts_channel_none"
