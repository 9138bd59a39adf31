"""A local fake of Discord: REST API v10 plus a gateway websocket, for driving real discord.py.

It speaks the wire formats Discord documents (snowflakes as strings, permissions as decimal
strings, zlib-stream gateway compression, 429 bodies with `retry_after`, JSON error codes) and
records every REST call so tests can assert on exactly what the bot sent.

Typical use::

    async with FakeDiscord() as fake:
        guild = fake.add_guild("Ghost Lab")
        channel = fake.add_channel(guild, "alerts")
        admin = fake.add_member(guild, "alice", permissions=Permission.MANAGE_GUILD)
        ... start the bot with api_url=fake.api_url, gateway_url=fake.gateway_url ...
        await fake.wait_identified()
        reply = await fake.slash(guild, channel, admin, "ghosts")
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15


class Permission:
    """Discord permission bits (documented values)."""

    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_GUILD = 1 << 5
    ADMINISTRATOR = 1 << 3
    MEMBER = (
        VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    ) | USE_APPLICATION_COMMANDS


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class OptionType:
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    NUMBER = 10


@dataclass
class Recorded:
    """One REST request as the fake received it."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    json: Any  # JSON body, or the multipart payload_json
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, type, data)
    status: int = 200

    @property
    def attachments(self) -> list[tuple[str, str, bytes]]:
        return self.files


@dataclass
class FakeUser:
    id: str
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "discriminator": "0",
            "global_name": self.username.title(),
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
        }


@dataclass
class FakeMember:
    user: FakeUser
    guild_id: str
    permissions: int
    roles: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "user": self.user.payload(),
            "nick": None,
            "avatar": None,
            "roles": self.roles,
            "joined_at": "2025-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass
class FakeChannel:
    id: str
    guild_id: str | None
    name: str
    type: int = 0  # 0 guild text, 1 DM
    position: int = 0
    recipient: FakeUser | None = None

    def payload(self) -> dict[str, Any]:
        if self.type == 1:
            assert self.recipient is not None
            return {
                "id": self.id,
                "type": 1,
                "last_message_id": None,
                "recipients": [self.recipient.payload()],
            }
        return {
            "id": self.id,
            "type": self.type,
            "guild_id": self.guild_id,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    channels: dict[str, FakeChannel] = field(default_factory=dict)
    members: dict[str, FakeMember] = field(default_factory=dict)
    everyone_permissions: int = Permission.MEMBER
    locale: str = "en-US"

    def role_payloads(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.id,  # @everyone has the guild's id
                "name": "@everyone",
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "icon": None,
                "unicode_emoji": None,
                "position": 0,
                "permissions": str(self.everyone_permissions),
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ]

    def payload(self, bot_member: FakeMember) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": self.role_payloads(),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2025-01-01T00:00:00.000000+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members) + 1,
            "voice_states": [],
            "members": [bot_member.payload()],
            "channels": [c.payload() for c in self.channels.values()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Injected:
    """A canned error answer for requests matching method + path pattern."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


class FakeDiscord:
    """The fake: start it, populate guilds, point the bot at `api_url` / `gateway_url`."""

    def __init__(self, *, heartbeat_interval_ms: int = 41250) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._ids = itertools.count(1)
        self.bot_user = FakeUser(self.snowflake(), "ghostwatch", bot=True)
        self.application_id = self.bot_user.id
        self.guilds: dict[str, FakeGuild] = {}
        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.requests: list[Recorded] = []
        self.gateway_frames: list[dict[str, Any]] = []  # what clients sent on the gateway
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id or None → synced
        self.messages: dict[str, dict[str, Any]] = {}  # message id → message object
        self.identified = asyncio.Event()
        self.identify_count = 0
        self.heartbeats = 0
        self.blocked_dms: set[str] = set()  # user ids whose DMs are closed (50007)
        self._injected: list[Injected] = []
        self._interactions: dict[str, dict[str, Any]] = {}  # token → interaction payload
        self._sockets: list[_GatewayConnection] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sequence = 0
        self.resume_gateway_url: str | None = None  # READY's resume URL; default: our own

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        for conn in list(self._sockets):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- world building --------------------------------------------------------------------

    def snowflake(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def add_user(self, username: str) -> FakeUser:
        user = FakeUser(self.snowflake(), username)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, locale: str = "en-US") -> FakeGuild:
        owner = self.add_user(f"{name.lower().replace(' ', '')}-owner")
        guild = FakeGuild(self.snowflake(), name, owner.id, locale=locale)
        guild.members[owner.id] = FakeMember(owner, guild.id, Permission.ADMINISTRATOR)
        self.guilds[guild.id] = guild
        return guild

    def add_channel(self, guild: FakeGuild, name: str) -> FakeChannel:
        channel = FakeChannel(self.snowflake(), guild.id, name, position=len(guild.channels))
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_member(
        self, guild: FakeGuild, username: str, *, permissions: int = Permission.MEMBER
    ) -> FakeMember:
        user = self.add_user(username)
        member = FakeMember(user, guild.id, permissions | guild.everyone_permissions)
        guild.members[user.id] = member
        return member

    # ---- failure injection -----------------------------------------------------------------

    def inject(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with this error instead of the real thing."""
        self._injected.append(
            Injected(method.upper(), re.compile(path_pattern), status, body, headers or {}, times)
        )

    def rate_limit_channel(self, channel_id: str, *, retry_after: float = 0.5, times: int = 1):
        """Answer channel posts with 429 the way Discord does (body and headers)."""
        bucket = "fake" + channel_id[-8:]
        self.inject(
            "POST",
            rf"^/channels/{channel_id}/messages$",
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            headers={
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Scope": "user",
                # Discord's answers pass Cloudflare; discord.py treats a 429 without `Via` as
                # a Cloudflare ban and raises instead of waiting.
                "Via": "1.1 google",
            },
            times=times,
        )

    def forbid_channel(self, channel_id: str, *, times: int = 1_000_000) -> None:
        """The bot lost the permission to post in this channel (403, code 50013)."""
        self.inject(
            "POST",
            rf"^/channels/{channel_id}/messages$",
            403,
            {"message": "Missing Permissions", "code": 50013},
            times=times,
        )

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket the way Discord does before asking for a resume."""
        for conn in list(self._sockets):
            await conn.ws.close(code=code, message=b"fake: reconnect")

    def identify_frames(self) -> list[dict[str, Any]]:
        return [f for f in self.gateway_frames if f.get("op") == 2]

    # ---- waiting on what the bot did -------------------------------------------------------

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        predicate: Callable[[Recorded], bool] | None = None,
    ) -> list[Recorded]:
        """Recorded requests matching method, path regex (full match) and predicate."""
        pattern = re.compile(path) if path else None
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.fullmatch(r.path))
            and (predicate is None or predicate(r))
        ]

    async def wait_for(
        self,
        method: str | None = None,
        path: str | None = None,
        predicate: Callable[[Recorded], bool] | None = None,
        *,
        count: int = 1,
        within: float = 10.0,
    ) -> list[Recorded]:
        """Wait until at least `count` matching requests were recorded; returns them all."""

        def ready() -> bool:
            return len(self.find(method, path, predicate)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), within)
            except TimeoutError:
                seen = [f"{r.method} {r.path} {r.status}" for r in self.requests[-15:]]
                raise AssertionError(
                    f"timed out waiting for {count}x {method} {path}; last requests: {seen}"
                ) from None
        return self.find(method, path, predicate)

    async def wait_identified(self, within: float = 10.0) -> None:
        await asyncio.wait_for(self.identified.wait(), within)

    def channel_messages(self, channel_id: str) -> list[Recorded]:
        return self.find("POST", rf"/channels/{channel_id}/messages", lambda r: r.status == 200)

    def outgoing_messages(self) -> list[dict[str, Any]]:
        """Every message body the bot sent: channel posts, interaction replies, follow-ups."""
        bodies: list[dict[str, Any]] = []
        for r in self.requests:
            if r.method not in ("POST", "PATCH") or not isinstance(r.json, dict):
                continue
            if re.fullmatch(r"/channels/\d+/messages(/\d+)?", r.path):
                bodies.append(r.json)
            elif re.fullmatch(r"/interactions/\d+/[^/]+/callback", r.path):
                if r.json.get("type") in (4, 7) and isinstance(r.json.get("data"), dict):
                    bodies.append(r.json["data"])
            elif re.fullmatch(r"/webhooks/\d+/[^/]+(/messages/[^/]+)?", r.path):
                bodies.append(r.json)
        return bodies

    # ---- interactions ----------------------------------------------------------------------

    def _interaction_base(
        self,
        kind: int,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | None,
        user: FakeUser | None,
        locale: str,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        token = f"aW50ZXJhY3Rpb246{interaction_id}:fake-token"
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "channel_id": channel.id,
            "channel": {**channel.payload(), "permissions": str(Permission.MEMBER)},
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": str(Permission.MEMBER),
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if guild is not None and member is not None:
            payload["guild_id"] = guild.id
            payload["guild_locale"] = guild.locale
            payload["guild"] = {"id": guild.id, "locale": guild.locale, "features": []}
            payload["member"] = {**member.payload(), "permissions": str(member.permissions)}
            payload["authorizing_integration_owners"] = {"0": guild.id}
            payload["context"] = 0
        else:
            assert user is not None
            payload["user"] = user.payload()
            payload["authorizing_integration_owners"] = {"1": user.id}
            payload["context"] = 1
        self._interactions[token] = payload
        return payload

    def command_id(self, name: str) -> str:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name:
                    return str(command["id"])
        return self.snowflake()

    def slash_payload(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        locale: str = "en-US",
        autocomplete: bool = False,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.command_id(name),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        if resolved:
            data["resolved"] = resolved
        kind = InteractionType.AUTOCOMPLETE if autocomplete else InteractionType.APPLICATION_COMMAND
        return self._interaction_base(kind, guild, channel, member, None, locale, data)

    async def slash(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        locale: str = "en-US",
        resolved: dict[str, Any] | None = None,
        within: float = 10.0,
    ) -> Recorded:
        """Invoke a slash command as `member`; returns the recorded interaction callback."""
        payload = self.slash_payload(
            guild, channel, member, name, options, locale=locale, resolved=resolved
        )
        return await self.interact(payload, within=within)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The bot's DM channel with `user` (created like POST /users/@me/channels would)."""
        for channel in self.channels.values():
            if (
                channel.type == 1
                and channel.recipient is not None
                and channel.recipient.id == user.id
            ):
                return channel
        channel = FakeChannel(self.snowflake(), None, "", type=1, recipient=user)
        self.channels[channel.id] = channel
        return channel

    async def slash_in_dm(
        self,
        user: FakeUser,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        locale: str = "en-US",
        within: float = 10.0,
    ) -> Recorded:
        """Invoke a slash command in the user's direct messages with the bot."""
        data = {"id": self.command_id(name), "name": name, "type": 1, "options": options or []}
        payload = self._interaction_base(
            InteractionType.APPLICATION_COMMAND,
            None,
            self.dm_channel(user),
            None,
            user,
            locale,
            data,
        )
        return await self.interact(payload, within=within)

    async def autocomplete(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        name: str,
        options: list[dict[str, Any]],
        *,
        locale: str = "en-US",
        within: float = 10.0,
    ) -> Recorded:
        payload = self.slash_payload(
            guild, channel, member, name, options, locale=locale, autocomplete=True
        )
        return await self.interact(payload, within=within)

    async def click(
        self,
        guild: FakeGuild | None,
        channel: FakeChannel,
        who: FakeMember | FakeUser,
        message: dict[str, Any],
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
        locale: str = "en-US",
        within: float = 10.0,
    ) -> Recorded:
        """Press a button (or choose in a select) on a message the bot sent."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        member = who if isinstance(who, FakeMember) else None
        user = who if isinstance(who, FakeUser) else None
        payload = self._interaction_base(
            InteractionType.MESSAGE_COMPONENT, guild, channel, member, user, locale, data
        )
        payload["message"] = message
        return await self.interact(payload, within=within)

    async def interact(self, payload: dict[str, Any], *, within: float = 10.0) -> Recorded:
        """Dispatch INTERACTION_CREATE to every connected shard; wait for the callback."""
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))
        path = rf"/interactions/{payload['id']}/[^/]+/callback"
        (callback,) = await self.wait_for("POST", path, within=within)
        return callback

    def followups(self, callback: Recorded) -> list[Recorded]:
        """Follow-ups and edits of the original response sent for one interaction."""
        token = callback.path.split("/")[3]
        return self.find(None, rf"/webhooks/{self.application_id}/{re.escape(token)}(/.*)?")

    async def wait_followup(self, callback: Recorded, *, within: float = 10.0) -> Recorded:
        token = callback.path.split("/")[3]
        found = await self.wait_for(
            None,
            rf"/webhooks/{self.application_id}/{re.escape(token)}(/messages/@original)?",
            lambda r: r.method in ("POST", "PATCH"),
            within=within,
        )
        return found[0]

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: str | None = None):
        if not self._sockets:
            raise AssertionError("no gateway connection to dispatch to")
        for conn in self._sockets:
            elsewhere = guild_id is not None and conn.shard_count > 1
            if elsewhere and (int(guild_id) >> 22) % conn.shard_count != conn.shard_id:  # type: ignore[arg-type]
                continue
            await conn.send_dispatch(event, data)

    async def user_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        content: str,
        *,
        message_type: int = 0,
        webhook_id: str | None = None,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE from `author` in a guild channel, shaped per connection's intents.

        As on Discord: no dispatch without GUILD_MESSAGES, and without the privileged
        MESSAGE_CONTENT intent the text fields arrive empty unless the bot is mentioned.
        Returns the full message object.
        """
        if not self._sockets:
            raise AssertionError("no gateway connection to dispatch to")
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": channel.id,
            "guild_id": channel.guild_id,
            "author": author.payload(),
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": message_type,
            "flags": 0,
        }
        if webhook_id is not None:
            message["webhook_id"] = webhook_id
        guild = self.guilds.get(channel.guild_id or "")
        member = guild.members.get(author.id) if guild else None
        if member is not None:
            message["member"] = {k: v for k, v in member.payload().items() if k != "user"}
        for user_id in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)):
            # Discord lists mentioned users with their partial member object in guilds.
            user = self.users.get(user_id) or (
                self.bot_user if user_id == self.bot_user.id else None
            )
            if user is None:
                continue
            mentioned_user = user.payload()
            mentioned_member = guild.members.get(user_id) if guild else None
            if mentioned_member is not None:
                partial = mentioned_member.payload()
                del partial["user"]
                mentioned_user["member"] = partial
            message["mentions"].append(mentioned_user)
        self.messages[message["id"]] = message
        mentioned = f"<@{self.bot_user.id}>" in content
        for conn in self._sockets:
            shards = conn.shard_count
            if shards > 1 and (int(channel.guild_id or 0) >> 22) % shards != conn.shard_id:
                continue
            if not conn.intents & GUILD_MESSAGES_INTENT:
                continue
            data = dict(message)
            if not conn.intents & MESSAGE_CONTENT_INTENT and not mentioned:
                data.update(content="", embeds=[], attachments=[], components=[])
            await conn.send_dispatch("MESSAGE_CREATE", data)
        return message

    # ---- REST ------------------------------------------------------------------------------

    async def _record(self, request: web.Request, path: str) -> Recorded:
        body: Any = None
        files: list[tuple[str, str, bytes]] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    data = await part.read()  # type: ignore[union-attr]
                    files.append(
                        (
                            part.filename or "",
                            part.headers.get("Content-Type", ""),
                            bytes(data),
                        )
                    )
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        headers["has-authorization"] = str("Authorization" in request.headers)
        return Recorded(request.method, path, dict(request.query), headers, body, files)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        rec = await self._record(request, path)
        response = self._answer_injected(rec)
        if response is None:
            try:
                response = self._route(rec, request)
            except _HttpError as exc:
                response = _json(exc.body, status=exc.status)
        rec.status = response.status
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        return response

    def _answer_injected(self, rec: Recorded) -> web.Response | None:
        for inj in self._injected:
            if inj.times > 0 and inj.method == rec.method and inj.pattern.search(rec.path):
                inj.times -= 1
                return _json(inj.body, status=inj.status, headers=inj.headers)
        return None

    def _route(self, rec: Recorded, request: web.Request) -> web.Response:
        m, p = rec.method, rec.path
        if p in ("/gateway", "/gateway/bot") and m == "GET":
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 14400000,
                        "max_concurrency": 1,
                    },
                }
            )
        if p == "/users/@me" and m == "GET":
            return _json(self.bot_user.payload())
        if p in ("/oauth2/applications/@me", "/applications/@me") and m == "GET":
            return _json(self._application())
        if match := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", p):
            return self._commands(m, match.group(2), rec.json)
        if (match := re.fullmatch(r"/channels/(\d+)/messages", p)) and m == "POST":
            return self._post_message(match.group(1), rec)
        if (match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", p)) and m == "PATCH":
            return self._edit_message(match.group(2), rec.json)
        if (match := re.fullmatch(r"/channels/(\d+)", p)) and m == "GET":
            return _json(self._channel(match.group(1)).payload())
        if p == "/users/@me/channels" and m == "POST":
            return self._open_dm(str(rec.json["recipient_id"]))
        if match := re.fullmatch(r"/users/(\d+)", p):
            user = self.users.get(match.group(1))
            if user is None:
                raise _HttpError(404, {"message": "Unknown User", "code": 10013})
            return _json(user.payload())
        if match := re.fullmatch(r"/guilds/(\d+)", p):
            guild = self._guild(match.group(1))
            return _json(guild.payload(self._bot_member(guild)))
        if match := re.fullmatch(r"/guilds/(\d+)/channels", p):
            guild = self._guild(match.group(1))
            return _json([c.payload() for c in guild.channels.values()])
        if match := re.fullmatch(r"/guilds/(\d+)/members/(\d+)", p):
            guild = self._guild(match.group(1))
            member = guild.members.get(match.group(2))
            if member is None:
                raise _HttpError(404, {"message": "Unknown Member", "code": 10007})
            return _json(member.payload())
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p):
            return self._callback(match.group(1), match.group(2), rec)
        if (match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)", p)) and m == "POST":
            return self._followup(match.group(2), rec)
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", p):
            return self._webhook_message(m, match.group(2), match.group(3), rec)
        raise _HttpError(404, {"message": "404: Not Found", "code": 0})

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "ghostwatch",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.payload(),
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "owner": self.add_user("app-owner").payload(),
            "verify_key": "0" * 64,
            "team": None,
            "guild_id": None,
            "flags": 0,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    def _commands(self, method: str, guild_id: str | None, body: Any) -> web.Response:
        if method == "GET":
            return _json(self.commands.get(guild_id, []))
        if method != "PUT":
            raise _HttpError(405, {"message": "405: Method Not Allowed", "code": 0})
        synced = []
        for command in body:
            synced.append(
                {
                    "type": 1,
                    **command,
                    "id": self.snowflake(),
                    "application_id": self.application_id,
                    "version": self.snowflake(),
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        self.commands[guild_id] = synced
        return _json(synced)

    def _guild(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise _HttpError(404, {"message": "Unknown Guild", "code": 10004})
        return guild

    def _channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _HttpError(404, {"message": "Unknown Channel", "code": 10003})
        return channel

    def _bot_member(self, guild: FakeGuild) -> FakeMember:
        return FakeMember(self.bot_user, guild.id, Permission.MEMBER)

    def _open_dm(self, user_id: str) -> web.Response:
        user = self.users.get(user_id)
        if user is None:
            raise _HttpError(400, {"message": "Invalid Recipient(s)", "code": 50033})
        return _json(self.dm_channel(user).payload())

    def _message(self, channel_id: str, body: dict[str, Any], files: Iterable[Any]) -> dict:
        attachments = []
        for index, (name, ctype, data) in enumerate(files):
            attachment_id = self.snowflake()
            attachments.append(
                {
                    "id": attachment_id,
                    "filename": name,
                    "size": len(data),
                    "url": f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{name}",
                    "proxy_url": f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{name}",
                    "content_type": ctype,
                    "ephemeral": False,
                    "index": index,
                }
            )
        channel = self.channels.get(channel_id)
        message = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": self.bot_user.payload(),
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }
        if channel is not None and channel.guild_id:
            message["guild_id"] = channel.guild_id
        self.messages[message["id"]] = message
        return message

    def _post_message(self, channel_id: str, rec: Recorded) -> web.Response:
        channel = self._channel(channel_id)
        if channel.type == 1 and channel.recipient and channel.recipient.id in self.blocked_dms:
            raise _HttpError(403, {"message": "Cannot send messages to this user", "code": 50007})
        return _json(self._message(channel_id, rec.json or {}, rec.files))

    def _edit_message(self, message_id: str, body: dict[str, Any]) -> web.Response:
        message = self.messages.get(message_id)
        if message is None:
            raise _HttpError(404, {"message": "Unknown Message", "code": 10008})
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key]
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        return _json(message)

    def _callback(self, interaction_id: str, token: str, rec: Recorded) -> web.Response:
        interaction = self._interactions.get(token)
        if interaction is None or interaction["id"] != interaction_id:
            raise _HttpError(404, {"message": "Unknown interaction", "code": 10062})
        if interaction.get("_answered"):
            raise _HttpError(
                400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            )
        interaction["_answered"] = True
        body = rec.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        ephemeral = bool(data.get("flags", 0) & 64)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": interaction["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        if kind in (4, 5):
            message = self._message(interaction["channel_id"], data, rec.files)
            if kind == 5:
                message["flags"] = (data.get("flags") or 0) | 128  # LOADING
            interaction["_original"] = message["id"]
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": kind, "message": message}
        elif kind == 7 and "message" in interaction:
            answer["resource"] = {"type": 7, "message": interaction["message"]}
        else:
            answer["resource"] = {"type": kind}
        return _json(answer)

    def _followup(self, token: str, rec: Recorded) -> web.Response:
        interaction = self._interactions.get(token)
        if interaction is None:
            raise _HttpError(404, {"message": "Unknown Webhook", "code": 10015})
        message = self._message(interaction["channel_id"], rec.json or {}, rec.files)
        message["webhook_id"] = self.application_id
        return _json(message)

    def _webhook_message(
        self, method: str, token: str, message_id: str, rec: Recorded
    ) -> web.Response:
        interaction = self._interactions.get(token)
        if interaction is None:
            raise _HttpError(404, {"message": "Unknown Webhook", "code": 10015})
        if message_id == "@original":
            message_id = interaction.get("_original", "")
        message = self.messages.get(message_id)
        if message is None:
            raise _HttpError(404, {"message": "Unknown Message", "code": 10008})
        if method == "GET":
            return _json(message)
        if method == "DELETE":
            return web.Response(status=204)
        if method == "PATCH":
            body = rec.json or {}
            for key in ("content", "embeds", "components"):
                if key in body:
                    message[key] = body[key]
            if rec.files:
                message["attachments"] = self._message(message["channel_id"], {}, rec.files)[
                    "attachments"
                ]
            message["flags"] = message.get("flags", 0) & ~128
            return _json(message)
        raise _HttpError(405, {"message": "405: Method Not Allowed", "code": 0})

    # ---- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = _GatewayConnection(self, ws, request.query.get("compress"))
        self._sockets.append(conn)
        try:
            await conn.run()
        finally:
            self._sockets.remove(conn)
        return ws

    def ready_payload(self, session_id: str, shard: list[int]) -> dict[str, Any]:
        shard_id, shard_count = shard
        guilds = [
            {"id": g.id, "unavailable": True}
            for g in self.guilds.values()
            if (int(g.id) >> 22) % shard_count == shard_id
        ]
        return {
            "v": 10,
            "user": self.bot_user.payload(),
            "guilds": guilds,
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url or self.gateway_url,
            "shard": shard,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "auth_session_id_hash": "",
        }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with Discord's exact content type (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


class _HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


class _GatewayConnection:
    """One client websocket: HELLO, IDENTIFY/RESUME, heartbeats, dispatches."""

    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse, compress: str | None):
        self.fake = fake
        self.ws = ws
        self.shard_id = 0
        self.shard_count = 1
        self.sequence = 0
        self.session_id = ""
        self.intents = 0  # from IDENTIFY: decides which dispatches and fields this client gets
        # zlib-stream: one compression context for the whole connection, each message ending
        # with a Z_SYNC_FLUSH marker; other values (zstd-stream) fall back to plain text frames.
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})

    async def run(self) -> None:
        await self.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms},
                "s": None,
                "t": None,
            }
        )
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            self.fake.gateway_frames.append(frame)
            op = frame.get("op")
            if op == 1:
                self.fake.heartbeats += 1
                await self.send({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(frame["d"])
            elif op == 6:
                self.session_id = frame["d"]["session_id"]
                self.sequence = frame["d"].get("seq") or 0
                await self.send_dispatch("RESUMED", {})

    async def _identify(self, data: dict[str, Any]) -> None:
        shard = data.get("shard") or [0, 1]
        self.shard_id, self.shard_count = int(shard[0]), int(shard[1])
        self.intents = int(data.get("intents") or 0)
        self.session_id = self.fake.snowflake()
        self.fake.identify_count += 1
        await self.send_dispatch(
            "READY", self.fake.ready_payload(self.session_id, [self.shard_id, self.shard_count])
        )
        for guild in self.fake.guilds.values():
            if (int(guild.id) >> 22) % self.shard_count == self.shard_id:
                await self.send_dispatch(
                    "GUILD_CREATE", guild.payload(self.fake._bot_member(guild))
                )
        self.fake.identified.set()
