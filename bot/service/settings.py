"""SettingsService: what chats and users set, for any front end.

A chat's alerts (on or off, threshold, language, muted leaders and phrases, a server's one
alert channel), the accounts a chat follows and the operators' global leaders, each user's
watch list, and whether direct messages still reach a user. NarrativeService
(bot/service/narratives.py) extends it with the narratives, so front ends hold one object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.engine import canonicalize
from bot.i18n import SUPPORTED
from bot.leaders import DEFAULT_LEADERS, LeaderInfo
from bot.service import follows, inputs
from bot.service.errors import (
    BadArgument,
    FollowsInGroupsOnly,
    LeaderConfigured,
    LeaderLimitReached,
    NoAlertChannel,
    NotAdmin,
    NotOperator,
    NotWatching,
    UnknownLeader,
    WatchLimitReached,
)
from bot.service.rows import leader_of, settings_of
from bot.service.types import (
    Caller,
    LeaderChange,
    LeaderList,
    SettingsScope,
    SubscriptionSettings,
    UnwatchResult,
    WatchEntry,
    WatchList,
    WatchResult,
)
from storage import leaders as leader_store
from storage import server_subscriptions as server_store
from storage import subscriptions as sub_store
from storage import watchlist as watch_store

log = logging.getLogger(__name__)

QUIET_LIMIT = 50


class SettingsService:
    """Keeps per-chat and per-user settings."""

    def __init__(
        self,
        *,
        watch_limit: int = 50,
        watch_chars: int = 100,
        chat_leader_limit: int = 50,
        default_threshold: float = 60.0,
        on_leaders_changed: Callable[[], None] | None = None,
        operators: Iterable[str] = (),
    ) -> None:
        # Told when an operator changes the global leader set, so the engine follows it (see
        # bot/app.py). A chat's own follow list never reaches the engine.
        self.on_leaders_changed = on_leaders_changed
        self.operators = frozenset(operators)  # GHOSTWATCH_OPERATORS: "platform:user id"
        self.watch_limit = watch_limit
        self.watch_chars = watch_chars
        self.chat_leader_limit = chat_leader_limit
        self.default_threshold = default_threshold

    # -- watch lists and direct messages -------------------------------------------------------
    async def watch(self, caller: Caller, text: str) -> WatchResult:
        entry = inputs.parse_watch(text, "watch", self.watch_chars)
        return await self._add_watch(caller, entry)

    async def _add_watch(self, caller: Caller, entry: WatchEntry) -> WatchResult:
        item, added, count = await watch_store.add(
            caller.platform,
            caller.user_id,
            entry.kind,
            entry.value,
            entry.display,
            caller.language,
            self.watch_limit,
        )
        if item is None:
            raise WatchLimitReached(limit=self.watch_limit)
        # The user talks to us again: direct messages to them may work again.
        await sub_store.clear_gone(caller.platform, caller.user_id)
        stored = WatchEntry(entry.kind, item.value, item.display)
        return WatchResult(stored, added, count, self.watch_limit)

    async def unwatch(self, caller: Caller, text: str) -> UnwatchResult:
        entry = inputs.parse_watch(text, "unwatch", self.watch_chars)
        removed = await watch_store.remove(caller.platform, caller.user_id, entry.kind, entry.value)
        if not removed:
            raise NotWatching(value=entry.display)
        return UnwatchResult(entry, True)

    async def watchlist(self, caller: Caller) -> WatchList:
        rows = await watch_store.items(caller.platform, caller.user_id)
        entries = tuple(WatchEntry(r.kind, r.value, r.display) for r in rows)  # type: ignore[arg-type]
        return WatchList(entries, self.watch_limit)

    async def hello(self, caller: Caller) -> None:
        """The user (re)started a private chat: direct messages reach them again."""
        if caller.private:
            await sub_store.clear_gone(caller.platform, caller.user_id)

    async def direct_messages_closed(self, caller: Caller) -> bool:
        """Direct messages to the caller failed (DMs closed) since they last added a watch item."""
        gone = await sub_store.gone_targets(caller.platform, [caller.user_id])
        return caller.user_id in gone

    # -- chat subscriptions -------------------------------------------------------------------
    async def subscription(self, caller: Caller) -> SubscriptionSettings:
        """The alert settings of the caller's chat (of a server: its alert channel's)."""
        chat_id = await self._alert_chat(caller)
        sub = await sub_store.get(caller.platform, chat_id) if chat_id is not None else None
        if sub is None:
            return SubscriptionSettings(
                caller.platform,
                chat_id or caller.chat_id,
                subscribed=False,
                enabled=False,
                threshold=self.default_threshold,
                language=caller.language,
                quiet_leaders=(),
                quiet_phrases=(),
                disabled_reason=None,
            )
        return settings_of(sub)

    async def set_alerts(self, caller: Caller, on: bool) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        changes: dict[str, Any] = {"enabled": on}
        if on:
            changes["disabled_reason"] = None
        return await self._change(caller, chat_id, **changes)

    async def set_threshold(self, caller: Caller, value: float | int | str) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        threshold = inputs.parse_threshold(value)
        return await self._change(caller, chat_id, threshold=threshold)

    async def set_language(self, caller: Caller, language: str) -> SubscriptionSettings:
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        lang = language.strip().lower()
        if lang not in SUPPORTED:
            raise BadArgument("alerts", "bad.language")
        return await self._change(caller, chat_id, language=lang)

    async def quiet(self, caller: Caller, text: str, mute: bool = True) -> SubscriptionSettings:
        """Mute (or unmute) a leader ("@handle") or phrase in this chat's alerts."""
        chat_id = await self._settings_chat(caller)
        _require_admin(caller)
        value = inputs.clean_input(text, "alerts", self.watch_chars)
        defaults = self._defaults(caller)
        sub = await sub_store.upsert(caller.platform, chat_id, defaults=defaults)
        if value.startswith("@"):
            field, item = "quiet_leaders", inputs.parse_handle(value, "alerts")
        else:
            field, item = "quiet_phrases", canonicalize(value)
            if not item:
                raise BadArgument("alerts", "bad.empty")
        current: list[str] = list(getattr(sub, field) or [])
        if mute and item not in current:
            if len(current) >= QUIET_LIMIT:
                raise BadArgument("alerts", "bad.text")
            current.append(item)
        elif not mute:
            if item not in current:
                raise NotWatching(value=value)
            current.remove(item)
        return settings_of(await sub_store.update(sub, **{field: current}))

    async def set_alert_channel(self, caller: Caller, channel_id: str) -> SubscriptionSettings:
        """A server's alerts go to `channel_id` from now on, and off in its other channels."""
        if not caller.is_admin or caller.guild_id is None:
            raise NotAdmin()
        settings = await self._change(caller, channel_id, enabled=True, disabled_reason=None)
        await server_store.switch_off_others(caller.platform, caller.guild_id, channel_id)
        return settings

    async def unreachable_channels(self, caller: Caller) -> tuple[SubscriptionSettings, ...]:
        """Alert channels of the caller's server that were disabled because posting failed."""
        if caller.guild_id is None:
            return ()
        rows = await server_store.unreachable(caller.platform, caller.guild_id)
        return tuple(settings_of(row) for row in rows)

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The platform gave the chat a new id (Telegram group → supergroup): keep its settings."""
        await sub_store.move(platform, old_chat_id, new_chat_id)
        await leader_store.move_chat(platform, old_chat_id, new_chat_id)

    async def _alert_chat(self, caller: Caller) -> str | None:
        """The chat whose alert settings the caller reads and changes: the caller's own chat, or
        for a whole server its alert channel (None while an admin has chosen none)."""
        if caller.scope is not SettingsScope.GUILD:
            return caller.chat_id
        return await server_store.alert_channel(caller.platform, caller.scope_id)

    async def _settings_chat(self, caller: Caller) -> str:
        chat_id = await self._alert_chat(caller)
        if chat_id is None:
            raise NoAlertChannel()
        return chat_id

    async def _change(self, caller: Caller, chat_id: str, **changes: Any) -> SubscriptionSettings:
        """Apply `changes` to a chat's subscription, creating it with the caller's defaults."""
        sub = await sub_store.upsert(
            caller.platform, chat_id, defaults=self._defaults(caller), **changes
        )
        return settings_of(sub)

    def _defaults(self, caller: Caller) -> dict[str, Any]:
        return {
            "guild_id": caller.guild_id,
            "threshold": self.default_threshold,
            "language": caller.language if caller.language in SUPPORTED else "en",
            "enabled": True,
        }

    # -- leaders ------------------------------------------------------------------------------
    @staticmethod
    async def seed_leaders(leaders: Iterable[LeaderInfo] = DEFAULT_LEADERS) -> int:
        """Store the global (shipped + configured) leaders; call once at start-up."""
        return await leader_store.seed_defaults(leaders)

    async def leaders(self, caller: Caller) -> LeaderList:
        glob = await leader_store.global_leaders()
        chat = await leader_store.chat_leaders(caller.platform, caller.scope_id)
        return LeaderList(
            tuple(leader_of(r, True) for r in glob), tuple(leader_of(r, False) for r in chat)
        )

    async def add_leader(self, caller: Caller, handle: str) -> LeaderChange:
        """Follow an account in this chat only (bot/leaders.py: never the global set)."""
        _require_admin(caller)
        name = inputs.parse_leader(handle, "leaders")
        if caller.private:
            raise FollowsInGroupsOnly()
        outcome = await leader_store.add(
            caller.platform, caller.scope_id, name, caller.user_id, self.chat_leader_limit
        )
        if outcome is leader_store.Added.LIMIT:
            raise LeaderLimitReached(limit=self.chat_leader_limit)
        return LeaderChange(name, outcome is leader_store.Added.ADDED)

    async def remove_leader(self, caller: Caller, handle: str) -> LeaderChange:
        _require_admin(caller)
        name = inputs.parse_leader(handle, "leaders")
        if caller.private or not await leader_store.remove(caller.platform, caller.scope_id, name):
            raise UnknownLeader(handle=name)
        return LeaderChange(name, True)

    async def _follows(self, caller: Caller | None) -> dict[str, str]:
        """The accounts the caller's chat follows, to mark in its views (bot/service/follows.py)."""
        if caller is None or caller.private:
            return {}
        rows = await leader_store.chat_leaders(caller.platform, caller.scope_id)
        return follows.follow_map(r.handle for r in rows)

    def is_operator(self, caller: Caller) -> bool:
        return caller.operator_key in self.operators

    async def add_global_leader(self, caller: Caller, handle: str) -> LeaderChange:
        """An operator adds a leader for every chat: the engine and X searches follow."""
        self._require_operator(caller)
        name = inputs.parse_leader(handle, "operator")
        added = await leader_store.operator_add(name, caller.operator_key)
        if added is leader_store.Added.ADDED:
            log.info("operator %s added global leader %s", caller.operator_key, name)
            self._leaders_changed()
        return LeaderChange(name, added is leader_store.Added.ADDED)

    async def remove_global_leader(self, caller: Caller, handle: str) -> LeaderChange:
        self._require_operator(caller)
        name = inputs.parse_leader(handle, "operator")
        outcome = await leader_store.operator_remove(name)
        if outcome is leader_store.Removed.MISSING:
            raise UnknownLeader(handle=name)
        if outcome is leader_store.Removed.CONFIGURED:
            raise LeaderConfigured(handle=name)
        log.info("operator %s removed global leader %s", caller.operator_key, name)
        self._leaders_changed()
        return LeaderChange(name, True)

    def _require_operator(self, caller: Caller) -> None:
        if not self.is_operator(caller):
            raise NotOperator()

    def _leaders_changed(self) -> None:
        if self.on_leaders_changed is not None:
            self.on_leaders_changed()


def _require_admin(caller: Caller) -> None:
    if not (caller.is_admin or caller.private):
        raise NotAdmin()
