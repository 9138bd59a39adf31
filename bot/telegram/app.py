"""The Telegram front end: a python-telegram-bot Application run inside ghostwatch's loop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import BotCommand
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.config import Settings
from bot.errors import FrontendStartError, one_line
from bot.i18n import SUPPORTED, t
from bot.posts import Post
from bot.render.telegram import COMMANDS
from bot.service.narratives import NarrativeService
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.intake import ChatScope, TelegramIntake
from bot.telegram.sender import TelegramAlertSender
from bot.telegram.throttle import CommandGate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
# Telegram delivers channel posts only to bots that ask for them.
READING_UPDATES = [*ALLOWED_UPDATES, "channel_post"]


@dataclass
class TelegramFrontend:
    application: Application
    sender: TelegramAlertSender

    async def stop(self) -> None:
        """Stop polling, then the application; safe to call twice."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


def build_application(
    settings: Settings,
    service: NarrativeService,
    post_sink: Callable[[Sequence[Post]], None] | None = None,
) -> Application:
    """The PTB application with command handlers, plus chat intake when a sink and chats are set."""
    if settings.telegram_token is None:
        raise ValueError("GHOSTWATCH_TELEGRAM_TOKEN is not set")
    api = settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .job_queue(None)  # ghostwatch has its own scheduler
        .concurrent_updates(8)  # a chart being drawn must not hold up other chats
        .build()
    )
    CommandGate().install(app)
    TelegramHandlers(service).install(app)
    scope = ChatScope(settings.telegram_read_chats)
    if post_sink is not None and scope:
        TelegramIntake(scope, post_sink).install(app)
    return app


def reads_chats(settings: Settings, post_sink: object) -> bool:
    return post_sink is not None and bool(ChatScope(settings.telegram_read_chats))


async def register_commands(app: Application) -> None:
    """setMyCommands for the default (English) and each other supported language."""
    for lang in SUPPORTED:
        commands = [BotCommand(name, t(f"cmd.{name}", lang)) for name in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)


async def start_telegram(
    settings: Settings,
    service: NarrativeService,
    *,
    poll_timeout: int = 30,
    post_sink: Callable[[Sequence[Post]], None] | None = None,
) -> TelegramFrontend:
    """Initialize, register commands and start long polling; returns the running front end.

    With `post_sink` and GHOSTWATCH_TELEGRAM_READ_CHATS set, messages in those chats become
    Posts handed to the sink; otherwise no chat text is read.
    """
    reading = reads_chats(settings, post_sink)
    app = build_application(settings, service, post_sink if reading else None)
    try:
        await app.initialize()  # getMe: fails fast on a wrong token
        try:
            await register_commands(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=poll_timeout,
                allowed_updates=READING_UPDATES if reading else ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except BaseException:
            await TelegramFrontend(app, TelegramAlertSender(app.bot)).stop()
            raise
    except InvalidToken:  # Telegram answers 401 (or 404) to a token it does not know
        raise FrontendStartError("telegram", token_rejected=True) from None
    except (TelegramError, OSError) as exc:
        raise FrontendStartError("telegram", f"cannot start: {one_line(exc)}") from None
    log.info("telegram bot @%s polling", app.bot.username)
    if reading:
        log.info(
            "telegram: reading chats %s as a post source; groups need privacy mode off (or the "
            "bot as admin), channels need the bot as admin",
            ",".join(settings.telegram_read_chats),
        )
    elif settings.telegram_read_chats:
        log.warning("telegram: GHOSTWATCH_TELEGRAM_READ_CHATS is set but no post sink is wired")
    return TelegramFrontend(app, TelegramAlertSender(app.bot))
