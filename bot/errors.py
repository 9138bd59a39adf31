"""Error texts and types shared across layers: one line per error, typed start-up failures."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class FrontendStartError(Exception):
    """A chat front end could not start; the message is one line naming the platform.

    `token_rejected` says the platform refused the bot token (a configuration mistake the
    operator fixes in GHOSTWATCH_<PLATFORM>_TOKEN), as opposed to the platform being
    unreachable. The message never contains the token.
    """

    def __init__(self, platform: str, reason: str = "", *, token_rejected: bool = False) -> None:
        self.platform = platform
        self.token_rejected = token_rejected
        if token_rejected:
            variable = f"GHOSTWATCH_{platform.upper()}_TOKEN"
            text = f"{platform}: the token was rejected; check {variable}"
        else:
            text = f"{platform}: {reason or 'cannot start'}"
        super().__init__(text)
