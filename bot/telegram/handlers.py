"""Telegram command and button handlers: parse, call NarrativeService, render, reply.

User mistakes are raised as ServiceError and answered by the one error handler (`on_error`),
so no handler formats an error itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import CallbackQuery, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import negotiate, t
from bot.render import telegram as render
from bot.render.chat_settings import leader_text, quiet_text, watching_text
from bot.render.errors import error_text
from bot.service.errors import AnonymousAdmin, BadArgument, MissingRight, ServiceError
from bot.service.inputs import parse_hours
from bot.service.narratives import NarrativeService
from bot.service.types import Caller, NarrativeDetail, SettingsScope
from bot.telegram.admin import Authority, authority, sender_id

log = logging.getLogger(__name__)

PLATFORM = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GHOSTS_LIMIT = 10
Context = ContextTypes.DEFAULT_TYPE


def _rest(update: Update) -> str:
    """Everything after the command word, spacing kept ("/watch vibe coding" → "vibe coding")."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


class TelegramHandlers:
    def __init__(self, service: NarrativeService) -> None:
        self.service = service

    def install(self, app: Application) -> None:
        commands = {
            "start": self.start,
            "help": self.help,
            "ghosts": self.ghosts,
            "narrative": self.narrative,
            "watch": self.watch,
            "unwatch": self.unwatch,
            "watchlist": self.watchlist,
            "alerts": self.alerts,
            "leaders": self.leaders,
            "status": self.status,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.migrated))
        app.add_handler(MessageHandler(filters.COMMAND, self.unknown))
        app.add_error_handler(self.on_error)

    # -- helpers ------------------------------------------------------------------------------
    async def caller(
        self, update: Update, context: Context, *, check_admin: bool = False
    ) -> Caller:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            raise BadArgument("help")
        private = chat.type == chat.PRIVATE
        # A button press comes from the presser; the message it is on is the bot's own.
        message = update.effective_message if update.callback_query is None else None
        admin = private
        if check_admin and not private:
            found = await authority(context.bot, chat, user, message)
            if found is Authority.ANONYMOUS:
                raise AnonymousAdmin()
            if found is Authority.MISSING_RIGHT:
                raise MissingRight()
            admin = found is Authority.ALLOWED
        return Caller(
            platform=PLATFORM,
            chat_id=str(chat.id),
            user_id=sender_id(chat, user, message),
            is_admin=admin,
            language=negotiate(user.language_code if user else None),
            private=private,
            scope=SettingsScope.CHAT,  # each chat keeps its own settings and follow list
        )

    async def reply(self, update: Update, context: Context, text: str, **kwargs: object) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        await context.bot.send_message(
            chat_id=chat.id,
            text=text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            **kwargs,  # type: ignore[arg-type]
        )

    async def send_detail(
        self, update: Update, context: Context, detail: NarrativeDetail, lang: str
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if detail.chart_png:
            await context.bot.send_photo(
                chat_id=chat.id,
                photo=detail.chart_png,
                caption=render.narrative_caption(detail, lang),
                parse_mode=ParseMode.HTML,
            )
        await self.reply(
            update,
            context,
            render.narrative(detail, lang),
            reply_markup=render.keyboard(detail.summary.ref, lang),
        )

    # -- commands -----------------------------------------------------------------------------
    async def start(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        await self.service.hello(caller)
        await self.reply(update, context, render.plain("start.welcome", caller.language))

    async def help(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        await self.reply(update, context, render.help_text(caller.language))

    async def ghosts(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        arg = _rest(update)
        hours = parse_hours(arg) if arg else 6
        result = await self.service.ghosts(timedelta(hours=hours), GHOSTS_LIMIT, caller)
        await self.reply(update, context, render.ghosts(result, caller.language))

    async def narrative(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        query = _rest(update)
        if not query:
            raise BadArgument("narrative")
        detail = await self.service.narrative(query, caller)
        await self.send_detail(update, context, detail, caller.language)

    async def watch(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        result = await self.service.watch(caller, _rest(update))
        await self.reply(update, context, render.watch(result, caller.language))

    async def unwatch(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        result = await self.service.unwatch(caller, _rest(update))
        await self.reply(update, context, render.unwatch(result, caller.language))

    async def watchlist(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        if _rest(update):
            raise BadArgument("watchlist")
        result = await self.service.watchlist(caller)
        await self.reply(update, context, render.watchlist(result, caller.language))

    async def alerts(self, update: Update, context: Context) -> None:
        words = _rest(update).split(maxsplit=1)
        action = words[0].lower() if words else "status"
        arg = words[1] if len(words) > 1 else ""
        if action == "status" and not arg:
            caller = await self.caller(update, context)
            settings = await self.service.subscription(caller)
            await self.reply(update, context, render.settings(settings, caller.language))
            return
        caller = await self.caller(update, context, check_admin=True)
        lang = caller.language
        if action in ("on", "off") and not arg:
            changed = await self.service.set_alerts(caller, action == "on")
            text = render.alerts_changed(changed, lang)
        elif action == "threshold" and arg:
            changed = await self.service.set_threshold(caller, arg)
            text = render.esc(t("alerts.threshold", lang, threshold=changed.threshold))
        elif action == "language" and arg:
            changed = await self.service.set_language(caller, arg)
            language = t(f"language.{changed.language}", changed.language)
            text = render.esc(t("alerts.language", changed.language, language=language))
        elif action in ("quiet", "unquiet") and arg:
            await self.service.quiet(caller, arg, mute=action == "quiet")
            text = render.esc(quiet_text(arg, action == "quiet", lang))
        else:
            raise BadArgument("alerts")
        await self.reply(update, context, text)

    async def leaders(self, update: Update, context: Context) -> None:
        words = _rest(update).split()
        if not words:
            caller = await self.caller(update, context)
            result = await self.service.leaders(caller)
            await self.reply(update, context, render.leaders(result, caller.language))
            return
        if words[0].lower() == "global":
            await self.global_leaders(update, context, words[1:])
            return
        if len(words) != 2 or words[0].lower() not in ("add", "remove"):
            raise BadArgument("leaders")
        caller = await self.caller(update, context, check_admin=True)
        adding = words[0].lower() == "add"
        if adding:
            change = await self.service.add_leader(caller, words[1])
        else:
            change = await self.service.remove_leader(caller, words[1])
        await self.reply(update, context, render.leader_change(change, adding, caller.language))

    async def global_leaders(self, update: Update, context: Context, words: list[str]) -> None:
        """/leaders global add|remove HANDLE: the operators' global set (GHOSTWATCH_OPERATORS)."""
        if len(words) != 2 or words[0].lower() not in ("add", "remove"):
            raise BadArgument("operator")
        caller = await self.caller(update, context)
        if words[0].lower() == "add":
            change = await self.service.add_global_leader(caller, words[1])
            key = "leaders.global_added" if change.changed else "leaders.exists"
        else:
            change = await self.service.remove_global_leader(caller, words[1])
            key = "leaders.global_removed"
        await self.reply(update, context, render.esc(leader_text(key, change, caller.language)))

    async def status(self, update: Update, context: Context) -> None:
        caller = await self.caller(update, context)
        report = await self.service.status()
        await self.reply(update, context, render.status(report, caller.language))

    async def unknown(self, update: Update, context: Context) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.text:
            return
        command = message.text.split(maxsplit=1)[0]
        if "@" in command:
            if command.split("@", 1)[1].lower() != (context.bot.username or "").lower():
                return  # addressed to another bot in the group
        elif chat.type != chat.PRIVATE:
            return  # a bare unknown command in a group may be another bot's
        caller = await self.caller(update, context)
        await self.reply(update, context, render.plain("error.unknown_command", caller.language))

    async def migrated(self, update: Update, context: Context) -> None:
        """A group became a supergroup: its settings and leaders move to the new chat id."""
        message = update.effective_message
        if message is not None and message.migrate_to_chat_id is not None:
            old = str(message.chat.id)
            await self.service.chat_moved(PLATFORM, old, str(message.migrate_to_chat_id))

    # -- buttons ------------------------------------------------------------------------------
    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        caller = await self.caller(update, context)
        data = query.data or ""
        if data.startswith(render.DETAILS_PREFIX):
            ref = data.removeprefix(render.DETAILS_PREFIX)
            detail = await self.service.narrative_by_ref(ref, caller)
            await query.answer()
            await self.send_detail(update, context, detail, caller.language)
        elif data.startswith(render.WATCH_PREFIX):
            ref = data.removeprefix(render.WATCH_PREFIX)
            result = await self.service.watch_ref(caller, ref)
            await query.answer(watching_text(result, caller.language))
        else:
            await query.answer(t("callback.expired", caller.language))

    # -- the one error handler ----------------------------------------------------------------
    async def on_error(self, update: object, context: Context) -> None:
        err = context.error
        if not isinstance(update, Update):
            log.error("telegram error outside an update: %s", type(err).__name__, exc_info=err)
            return
        user = update.effective_user
        lang = negotiate(user.language_code if user else None)
        if isinstance(err, ServiceError):
            text = error_text(err, lang)
        else:
            log.error("telegram handler failed: %s", type(err).__name__, exc_info=err)
            text = t("error.internal", lang)
        try:
            if update.callback_query is not None:
                await _answer_quietly(update.callback_query, text)
            else:
                await self.reply(update, context, render.esc(text))
        except Exception as exc:  # the chat may be gone; nothing more to do than log
            log.warning("could not report an error to the chat: %s", type(exc).__name__)


async def _answer_quietly(query: CallbackQuery, text: str) -> None:
    await query.answer(text[:200], show_alert=True)
