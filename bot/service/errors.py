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
