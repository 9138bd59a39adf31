"""Per-user and per-chat command rate limits for the Telegram front end.

A handler in group -1 sees every update before the command handlers: commands and button presses
over the limit stop there (one polite reply, then silence; see bot/service/ratelimit.py).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.i18n import negotiate, t
from bot.service.ratelimit import CommandLimiter, Verdict

PLATFORM = "telegram"
GATE_GROUP = -1  # before the command handlers (group 0)


class CommandGate:
    def __init__(self, limiter: CommandLimiter | None = None) -> None:
        self.limiter = limiter or CommandLimiter()

    def install(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self.check), group=GATE_GROUP)

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        message = update.message
        is_command = message is not None and (message.text or "").startswith("/")
        if chat is None or user is None or not (is_command or update.callback_query):
            return  # not a command (e.g. chat intake, service messages): not limited here
        verdict = self.limiter.check(PLATFORM, str(chat.id), str(user.id))
        if verdict is Verdict.ALLOW:
            return
        if verdict is Verdict.WARN:
            text = t("error.rate_limited", negotiate(user.language_code))
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            elif message is not None:
                await message.reply_text(text)
        raise ApplicationHandlerStop
