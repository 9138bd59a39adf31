"""What to tell a user about a refused command: the error formatter and usage lines."""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import EN, t
from bot.render.clean import clean
from bot.service.errors import BadArgument, ServiceError


class Syntax(StrEnum):
    """Whose command syntax a usage line shows: the catalog prefix of its usage keys."""

    TELEGRAM = "usage."
    DISCORD = "usage.discord."


def usage_line(command: str, lang: str, syntax: Syntax = Syntax.TELEGRAM) -> str:
    """ "Usage: /watch …" for a command (a command without a usage key shows as "/name")."""
    key = f"{syntax}{command}"
    shown = t(key, lang) if key in EN else f"/{command}"
    return t("error.bad_argument", lang, usage=shown)


def error_text(error: ServiceError, lang: str, syntax: Syntax = Syntax.TELEGRAM) -> str:
    """What to tell the user about a ServiceError (bad arguments get the usage line).

    Its parameters often hold what the user typed, so they are cleaned like scraped text.
    """
    if isinstance(error, BadArgument):
        usage = usage_line(error.usage, lang, syntax)
        if error.detail_key:
            return f"{t(error.detail_key, lang)}\n{usage}"
        return usage
    params = {k: clean(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return t(error.key, lang, **params)
