"""A fake Telegram Bot API server (aiohttp) that speaks the real HTTP protocol.

Routes are `/bot<token>/<method>` like api.telegram.org. Bodies are parsed the way the real
server accepts them: JSON, urlencoded forms or multipart (python-telegram-bot sends forms whose
non-string values are JSON-encoded, and multipart when a file is attached). Replies are
`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description", "parameters"}`.

Tests inject user messages and button presses (`user_message`, `press_button`), which the bot
receives through real `getUpdates` long polling, and read what the bot did from `calls`
(`wait_for` awaits a matching call). Faults: `fail_next` (e.g. 429 with retry_after) and
`block` (403 "bot was blocked by the user").
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import BodyPartReader, web

BOT_ID = 7000001
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
    }
)
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))


@dataclass
class Fault:
    method: str
    status: int
    description: str
    chat_id: str | None
    times: int
    parameters: dict[str, Any] | None = None


TELEGRAM_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)


class _EntityParser(HTMLParser):
    """Telegram's HTML parse mode: only its tags, properly nested, and valid entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problem = self.problem or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f'unmatched end tag "{tag}"'
            return
        self.stack.pop()


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` with parse_mode=HTML, or None."""
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return "unsupported entity"
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    if parser.problem:
        return parser.problem
    if parser.stack:
        return f'can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return None


class FakeTelegram:
    def __init__(
        self, token: str = "123456:TEST-token_abcdefghijklmnop", username: str = "ghostwatch_bot"
    ) -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.next_message_id = 1000
        self.members: dict[tuple[str, str], str] = {}  # (chat, user) -> status
        self.rights: dict[tuple[str, str], dict[str, bool]] = {}  # admin rights overrides
        self.blocked: dict[str, str] = {}  # chat -> description
        self.faults: list[Fault] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # language code ("" default)
        self.chats: dict[str, dict[str, Any]] = {}
        self.holds: dict[str, asyncio.Event] = {}  # method -> released when set
        self.hold_delivers: dict[str, bool] = {}
        # Off by default (older tests queue any update); on, getUpdates drops update types the
        # bot did not list in allowed_updates, as the real server does.
        self.honour_allowed_updates = False
        self.allowed_updates: list[str] | None = None  # as last sent with getUpdates
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.url = ""

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        # Long polls still open (their client already gone) end now rather than at timeout.
        self._closing = True
        await self._notify()
        for event in self.holds.values():
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- test controls ------------------------------------------------------------------------
    def set_member(
        self, chat_id: int | str, user_id: int | str, status: str, **rights: bool
    ) -> None:
        """ "creator", "administrator", "member", "left" ... as getChatMember will answer.

        `rights` override an administrator's rights (e.g. can_change_info=False).
        """
        self.members[(str(chat_id), str(user_id))] = status
        self.rights[(str(chat_id), str(user_id))] = dict(rights)

    def block(
        self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        self.blocked[str(chat_id)] = description

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`) fail with `status`.

        429 carries `parameters.retry_after`; pass e.g. `parameters={"migrate_to_chat_id": id}`
        with status 400 for a group that became a supergroup.
        """
        params = {"retry_after": retry_after} if status == 429 and retry_after is not None else None
        if parameters:
            params = {**(params or {}), **parameters}
        text = description or (
            f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
        )
        self.faults.append(
            Fault(method, status, text, None if chat_id is None else str(chat_id), times, params)
        )

    def hold(self, method: str, *, deliver: bool = False) -> asyncio.Event:
        """Calls of `method` hang until the returned event is set (a server that stalls).

        On release the held calls are processed when `deliver`, else answered 502 unprocessed
        (the request died with the connection, as when the client crashes mid-call).
        """
        event = self.holds[method.lower()] = asyncio.Event()
        self.hold_delivers[method.lower()] = deliver
        return event

    def _chat(self, chat_id: int, chat_type: str, title: str | None) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "User"
        else:
            chat["title"] = title or f"Group {chat_id}"
        self.chats[str(chat_id)] = chat
        return chat

    def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int,
        chat_type: str = "private",
        language_code: str | None = "en",
        first_name: str = "Ada",
        title: str | None = None,
        sender_chat: dict[str, Any] | None = None,
    ) -> int:
        """Queue a message from a user (bot commands get their bot_command entity).

        `sender_chat` sends it as a chat, as Telegram does for an anonymous admin (the group
        itself, from GroupAnonymousBot) or a user posting as their channel (from Channel_Bot).
        """
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        message: dict[str, Any] = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, title),
            "from": user,
            "text": text,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            # Telegram measures entity offsets in UTF-16 code units.
            units = len(text[:length].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": units}]
        return self._push({"message": message})

    def chat_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = 42,
        chat_type: str = "supergroup",
        username: str | None = None,
        title: str | None = None,
        is_bot: bool = False,
        sender_chat_id: int | None = None,
        caption: bool = False,
        edited: bool = False,
        date: int | None = None,
    ) -> dict[str, Any]:
        """Queue a message in a group or supergroup (or, with edited, its edit); returns it.

        `username` makes the chat public (t.me links); `sender_chat_id` posts as a chat (an
        anonymous admin); `caption` sends the text as a photo's caption.
        """
        message = self._chat_message(chat_id, chat_type, username, title, text, caption, date)
        if user_id is not None:
            message["from"] = {"id": user_id, "is_bot": is_bot, "first_name": "Grace"}
        if sender_chat_id is not None:
            message["sender_chat"] = {"id": sender_chat_id, "type": "channel", "title": "Anon"}
        self._push({"edited_message" if edited else "message": message})
        return message

    def channel_post(
        self,
        chat_id: int,
        text: str,
        *,
        username: str | None = None,
        title: str | None = None,
        edited: bool = False,
        date: int | None = None,
    ) -> dict[str, Any]:
        """Queue a post in a channel (delivered to admin bots as `channel_post`); returns it."""
        message = self._chat_message(chat_id, "channel", username, title, text, False, date)
        message["sender_chat"] = dict(message["chat"])
        self._push({"edited_channel_post" if edited else "channel_post": message})
        return message

    def _chat_message(
        self,
        chat_id: int,
        chat_type: str,
        username: str | None,
        title: str | None,
        text: str,
        caption: bool,
        date: int | None,
    ) -> dict[str, Any]:
        chat = self._chat(chat_id, chat_type, title)
        if username:
            chat["username"] = username
        message: dict[str, Any] = {
            "message_id": self._message_id(),
            "date": int(time.time()) if date is None else date,
            "chat": dict(chat),
        }
        if caption:
            message["photo"] = [
                {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
            ]
            message["caption"] = text
        else:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                units = len(text[:length].encode("utf-16-le")) // 2
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": units}]
        return message

    def migrate(self, chat_id: int, new_chat_id: int) -> int:
        """The service message a group sends when it is upgraded to a supergroup."""
        message = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": self._chat(chat_id, "group", None),
            "from": {"id": 1, "is_bot": False, "first_name": "Ada"},
            "migrate_to_chat_id": new_chat_id,
        }
        return self._push({"message": message})

    def press_button(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int,
        message_id: int = 1,
        chat_type: str = "group",
        language_code: str | None = "en",
    ) -> int:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
        if language_code:
            user["language_code"] = language_code
        query = {
            "id": f"cb{self.next_update_id}",
            "from": user,
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id, chat_type, None),
                "from": self._bot_user(),
                "text": "alert",
            },
        }
        return self._push({"callback_query": query})

    def _push(self, body: dict[str, Any]) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append({"update_id": update_id, **body})
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "ghostwatch", "username": self.username}

    # -- inspection ---------------------------------------------------------------------------
    def sent(self, method: str | None = None, chat_id: int | str | None = None) -> list[Call]:
        """Successful calls, optionally of one method and to one chat."""
        return [
            c
            for c in self.calls
            if c.status == 200
            and (method is None or c.method == method)
            and (chat_id is None or c.chat_id == str(chat_id))
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        within: float = 10.0,
        include_failed: bool = False,
    ) -> list[Call]:
        """Wait until at least `count` calls of `method` match; returns all that match."""

        def matching() -> list[Call]:
            return [
                c
                for c in self.calls
                if c.method == method
                and (include_failed or c.status == 200)
                and (predicate is None or predicate(c))
            ]

        deadline = time.monotonic() + within
        async with self._changed:
            while len(found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status) for c in self.calls[-10:]]
                    raise AssertionError(f"timed out waiting for {count} {method}; last: {seen}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
        return found

    # -- protocol -----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _parse_body(request)
        call = Call(method, params, files, status=0)  # 0 until answered
        self.calls.append(call)
        held = self.holds.get(method.lower())
        if held is not None:
            await self._notify()  # the call is visible to wait_for while it hangs
            await held.wait()
            if not self.hold_delivers.get(method.lower()):
                call.status = 502
                return _error(502, "Bad Gateway")
        try:
            response = await self._dispatch(method, params, call)
        finally:
            await self._notify()
        call.status = response.status
        return response

    async def _dispatch(self, method: str, params: dict[str, Any], call: Call) -> web.Response:
        chat = str(params.get("chat_id", "")) or None
        for fault in self.faults:
            if fault.method.lower() == method.lower() and fault.chat_id in (None, chat):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return _error(fault.status, fault.description, fault.parameters)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found")
        if chat is not None and chat in self.blocked and method.lower().startswith("send"):
            return _error(403, self.blocked[chat])
        if str(params.get("parse_mode", "")).upper() == "HTML":
            for name in ("text", "caption"):
                problem = html_problem(str(params.get(name, "")))
                if problem:
                    return _error(400, f"Bad Request: can't parse entities: {problem}")
        text = str(params.get("text", params.get("caption", "")))
        limit = 1024 if "caption" in params and "text" not in params else 4096
        if len(text) > limit:
            return _error(400, "Bad Request: message is too long")
        result = await handler(params, call)
        return _ok(result)

    async def _m_getme(self, params: dict[str, Any], call: Call) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_deletewebhook(self, params: dict[str, Any], call: Call) -> Any:
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _m_getupdates(self, params: dict[str, Any], call: Call) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"] or [])
        if offset:
            # Confirming: updates below the offset are forgotten, as on the real server.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self._deliverable() and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
        return self.updates[:limit]

    def _deliverable(self) -> list[dict[str, Any]]:
        """The queue after dropping update types the bot did not ask for (when honoured)."""
        if self.honour_allowed_updates and self.allowed_updates:
            wanted = set(self.allowed_updates)
            self.updates = [
                u for u in self.updates if wanted.intersection(u) or "update_id" not in u
            ]
        return self.updates

    async def _m_sendmessage(self, params: dict[str, Any], call: Call) -> Any:
        message = self._outgoing(params)
        message["text"] = str(params.get("text", ""))
        return message

    async def _m_sendphoto(self, params: dict[str, Any], call: Call) -> Any:
        message = self._outgoing(params)
        size = len(call.files.get("photo", b""))
        message["photo"] = [
            {
                "file_id": f"ph{message['message_id']}",
                "file_unique_id": "u1",
                "width": 800,
                "height": 400,
                "file_size": size,
            }
        ]
        if "caption" in params:
            message["caption"] = str(params["caption"])
        return message

    async def _m_editmessagetext(self, params: dict[str, Any], call: Call) -> Any:
        message = self._outgoing(params)
        message["message_id"] = int(params.get("message_id", message["message_id"]))
        message["text"] = str(params.get("text", ""))
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any], call: Call) -> Any:
        return True

    async def _m_getchatmember(self, params: dict[str, Any], call: Call) -> Any:
        chat, user_id = str(params.get("chat_id")), str(params.get("user_id"))
        status = self.members.get((chat, user_id), "member")
        user = {"id": int(user_id), "is_bot": False, "first_name": "Ada"}
        if status == "administrator":
            rights = {**ADMIN_RIGHTS, **self.rights.get((chat, user_id), {})}
            return {"status": status, "user": user, **rights}
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "left":
            return {"status": status, "user": user}
        return {"status": "member", "user": user}

    async def _m_setmycommands(self, params: dict[str, Any], call: Call) -> Any:
        self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    async def _m_deletemycommands(self, params: dict[str, Any], call: Call) -> Any:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    async def _m_getmycommands(self, params: dict[str, Any], call: Call) -> Any:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _m_close(self, params: dict[str, Any], call: Call) -> Any:
        return True

    def _outgoing(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params.get("chat_id"))
        chat = self.chats.get(chat_id) or {"id": int(chat_id), "type": "private", "first_name": "U"}
        return {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
        }


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _decode(name: str, value: str) -> Any:
    if name in JSON_FIELDS:
        return json.loads(value)
    return value


async def _parse_body(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if part.filename is not None:
                files[name] = bytes(await part.read())
            else:
                params[name] = _decode(name, await part.text())
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            params[name] = _decode(name, str(value))
    return params, files
