"""A small fake of the Telegram Bot API on 127.0.0.1, for the real python-telegram-bot.

Point `ApplicationBuilder().base_url(fake.base_url)` (or `TELEGRAM_API_BASE_URL`) at it
and the real `Application` talks HTTP to this server instead of api.telegram.org. It is
deliberately small but strict where mistakes hide:

* every call is recorded as a `Call(method, params, files)`; `wait_for()` polls the log
  so tests never sleep for a fixed time;
* updates are fed with `push()` (or the builders `send_text()`, `press()`, `react()`)
  and served by `getUpdates` with a real long poll, honouring `offset`, `limit`,
  `timeout` and — like Telegram — `allowed_updates` (a `message_reaction` update is
  dropped unless the bot asked for it);
* after `setWebhook`, updates are POSTed to the webhook URL with the secret token
  header, and `getUpdates` answers 409 Conflict, as the real server does;
* sent texts are checked like Telegram checks them: HTML parse mode must be
  well-formed (allowed tags, balanced, `<`, `>`, `&` escaped), text ≤ 4,096 and captions
  ≤ 1,024 visible characters, callback data ≤ 64 bytes — violations answer 400;
* `forbidden` chat ids answer 403 (a member who never started the bot); `fail_next()`
  injects one error for a method; `members` sets getChatMember statuses (and who
  getChatAdministrators lists);
* gated groups: `join_request()` pushes a `chat_join_request` update (delivered only if
  the bot asked for it); approveChatJoinRequest / declineChatJoinRequest answer 400
  HIDE_REQUESTER_MISSING unless that request is pending, and with banChatMember /
  unbanChatMember they update `members`; `no_rights` chat ids answer 400 "not enough
  rights" to all four, as Telegram does when the bot is not an admin allowed to.

Parameters arrive as python-telegram-bot sends them (form fields, JSON-encoded unless
plain strings; multipart when a file is attached) and are decoded back into Python
values, so tests assert on `call.params["text"]`, `call.params["reply_markup"]` etc.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.harness.fakes.loopback import serve_loopback

JSON = dict[str, Any]

# Parameters that are plain strings on the wire (never JSON-decode them: "42" stays "42").
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "name",
        "description",
        "short_description",
        "language_code",
        "inline_message_id",
        "icon_custom_emoji_id",
    }
)
# What Telegram sends when allowed_updates was never given.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
        "poll",
        "poll_answer",
    }
)
HTML_TAGS = frozenset(
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
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
GROUP_ANONYMOUS_BOT = 1087968824


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what the fake answered (e.g. the sent Message as a dict)


class ApiError(Exception):
    """Answered as {"ok": false, "error_code": code, "description": …}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def visible_length(text: str, parse_mode: str | None) -> int:
    """Length after entity parsing, refusing malformed HTML as Telegram does (400)."""
    if (parse_mode or "").upper() != "HTML":
        return len(text)
    stack: list[str] = []
    plain: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        plain.append(text[position : match.start()])
        position = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name not in HTML_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag {name}")
        if closing:
            if not stack or stack[-1] != name:
                raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag {name}")
            stack.pop()
        else:
            stack.append(name)
    plain.append(text[position:])
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag {stack[-1]}")
    body = "".join(plain)
    if "<" in body or ">" in body:
        raise ApiError(400, "Bad Request: can't parse entities: unescaped < or >")
    if "&" in _ENTITY.sub("", body):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped &")
    return len(html.unescape(body))


class FakeTelegramAPI:
    """The fake server; use `async with FakeTelegramAPI() as fake:` or start()/close()."""

    def __init__(
        self,
        *,
        token: str = "123:ABC",
        bot_id: int = 4242,
        bot_username: str = "govbot_test_bot",
        bot_name: str = "govbot",
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.chats: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.topics: dict[int, list[JSON]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.forbidden: set[int] = set()
        self.join_requests: set[tuple[int, int]] = set()  # pending (chat id, user id)
        self.no_rights: set[int] = set()  # chats where the bot may not admit or ban
        self.webhook: JSON | None = None
        self.webhook_posts: list[tuple[int, JSON]] = []
        self.commands: list[JSON] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._failures: dict[str, list[ApiError]] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._topic_ids = itertools.count(100)
        self._new_update = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # ----- lifecycle ------------------------------------------------------------------
    async def start(self) -> FakeTelegramAPI:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner, self.port = await serve_loopback(app, shutdown_timeout=1, access_log=None)
        return self

    async def close(self) -> None:
        self._closing = True
        self._new_update.set()
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot as base_url (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----- the world ------------------------------------------------------------------
    def add_chat(
        self, chat_id: int, type: str = "supergroup", title: str = "Test group", **extra: Any
    ) -> JSON:
        """A group (`type="group"|"supergroup"`, `is_forum=True` for topics) or a private chat."""
        chat: JSON = {"id": chat_id, "type": type, **extra}
        if type != "private":
            chat["title"] = title
        self.chats[chat_id] = chat
        return chat

    def add_user(
        self, user_id: int, first_name: str, username: str | None = None, **extra: Any
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name, **extra}
        if username:
            user["username"] = username
        self.users[user_id] = user
        self.chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})
        return user

    def fail_next(
        self, method: str, code: int, description: str, *, retry_after: int | None = None
    ) -> None:
        """Make the next call to `method` fail once with this error."""
        self._failures.setdefault(method, []).append(ApiError(code, description, retry_after))

    # ----- feeding updates --------------------------------------------------------------
    def push(self, update: JSON) -> int:
        """Queue one update (any shape Telegram sends); returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        kind = next(key for key in update if key != "update_id")
        if kind not in self.allowed_updates:
            return update["update_id"]  # Telegram would not deliver it either
        if self.webhook and self.webhook.get("url"):
            self._spawn(self.post_webhook(update))
        else:
            self._updates.append(update)
            self._new_update.set()
        return update["update_id"]

    def _chat(self, chat_id: int) -> JSON:
        return self.chats.get(chat_id) or self.add_chat(chat_id)

    def _user(self, user_id: int) -> JSON:
        return self.users.get(user_id) or self.add_user(user_id, f"user{user_id}")

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        **extra: Any,
    ) -> JSON:
        """Build (and store) a member's message without delivering it; see `send_text`."""
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id),
            "text": text,
            **extra,
        }
        if "entities" not in extra and (found := _COMMAND.match(text)) is not None:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": found.end()}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = self.messages.get(
                (chat_id, reply_to),
                {"message_id": reply_to, "date": int(time.time()), "chat": self._chat(chat_id)},
            )
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def send_text(self, chat_id: int, user_id: int, text: str, **options: Any) -> JSON:
        """A member writes `text` (a `/command` gets its bot_command entity); returns it.

        `options` are `message`'s: reply_to, thread_id, extra message fields."""
        message = self.message(chat_id, user_id, text, **options)
        self.push({"message": message})
        return message

    def press(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        """A member presses an inline button carrying `data`; returns the callback query id."""
        query_id = str(next(self._callback_ids))
        message = self.messages.get(
            (chat_id, message_id),
            {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id)},
        )
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id),
                    "chat_instance": f"ci{chat_id}",
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    def react(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        *,
        old: Iterable[str] = (),
        new: Iterable[str] = (),
    ) -> int:
        """A member changes their reactions on a message from `old` emoji to `new` emoji."""

        def kinds(emoji: Iterable[str]) -> list[JSON]:
            return [{"type": "emoji", "emoji": e} for e in emoji]

        return self.push(
            {
                "message_reaction": {
                    "chat": self._chat(chat_id),
                    "message_id": message_id,
                    "user": self._user(user_id),
                    "date": int(time.time()),
                    "old_reaction": kinds(old),
                    "new_reaction": kinds(new),
                }
            }
        )

    def join_request(self, chat_id: int, user_id: int) -> int:
        """A user asks to join a group that admits by request; returns the update_id."""
        self.join_requests.add((chat_id, user_id))
        return self.push(
            {
                "chat_join_request": {
                    "chat": self._chat(chat_id),
                    "from": self._user(user_id),
                    "user_chat_id": user_id,
                    "date": int(time.time()),
                }
            }
        )

    async def post_webhook(self, update: JSON, secret_token: str | None = None) -> int:
        """POST one update to the registered webhook, as Telegram does; returns the HTTP status.

        `secret_token` defaults to the one given in setWebhook; pass another to test refusal.
        """
        assert self.webhook is not None, "setWebhook was not called"
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        secret = self.webhook.get("secret_token") if secret_token is None else secret_token
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with (
            ClientSession(timeout=ClientTimeout(total=10)) as session,
            session.post(self.webhook["url"], json=update, headers=headers) as response,
        ):
            self.webhook_posts.append((response.status, update))
            return response.status

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----- assertions -------------------------------------------------------------------
    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls to `method` whose params include every `match` item."""
        return [
            call
            for call in self.calls
            if call.method == method and all(call.params.get(k) == v for k, v in match.items())
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
        **match: Any,
    ) -> list[Call]:
        """Wait until at least `count` matching calls were made; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method, **match) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [(c.method, _short(c.params)) for c in self.calls[-15:]]
                raise AssertionError(
                    f"waited {timeout}s for {count} × {method} {match or ''}; "
                    f"got {len(found)}. Last calls: {seen}"
                )
            await asyncio.sleep(0.02)

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Every message that went out (sendMessage/sendPhoto answered ok), optionally to one chat.

        Refused calls (403, 400) are in `calls` but not here: nothing was posted.
        """
        return [
            call
            for call in self.calls
            if call.method in ("sendMessage", "sendPhoto")
            and isinstance(call.result, dict)
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    # ----- HTTP -----------------------------------------------------------------------
    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await _read_params(request)
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        call = Call(method, params, files)
        self.calls.append(call)
        try:
            if failures := self._failures.get(method):
                raise failures.pop(0)
            handler = getattr(self, f"api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            call.result = error
            return _error(error)
        call.result = result
        return web.json_response({"ok": True, "result": result})

    # ----- methods (api_<lowercase name>) ---------------------------------------------
    def api_getme(self, params: JSON, files: JSON) -> JSON:
        return self.bot

    def api_logout(self, params: JSON, files: JSON) -> bool:
        return True

    def api_close(self, params: JSON, files: JSON) -> bool:
        return True

    def api_deletewebhook(self, params: JSON, files: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def api_setwebhook(self, params: JSON, files: JSON) -> bool:
        self.webhook = dict(params)
        if "allowed_updates" in params:
            self.allowed_updates = frozenset(params["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        return True

    def api_getwebhookinfo(self, params: JSON, files: JSON) -> JSON:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def api_getupdates(self, params: JSON, files: JSON) -> list[JSON]:
        if self.webhook and self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        if "allowed_updates" in params:
            self.allowed_updates = frozenset(params["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._closing:
            ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._new_update.wait(), max(0.0, deadline - time.monotonic())
                )
        return []

    def api_setmycommands(self, params: JSON, files: JSON) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    def api_getmycommands(self, params: JSON, files: JSON) -> list[JSON]:
        return self.commands

    def _check_target(self, params: JSON) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.forbidden:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat_id

    def _check_markup(self, params: JSON) -> None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed")

    def _new_message(self, chat_id: int, params: JSON, **content: Any) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot,
            **content,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters") or {}
        if reply.get("message_id"):
            original = self.messages.get((chat_id, int(reply["message_id"])))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if original is not None:
                message["reply_to_message"] = original
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def api_sendmessage(self, params: JSON, files: JSON) -> JSON:
        chat_id = self._check_target(params)
        text = params.get("text") or ""
        length = visible_length(text, params.get("parse_mode"))
        if not text.strip() or length == 0:
            raise ApiError(400, "Bad Request: message text is empty")
        if length > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params)
        return self._new_message(chat_id, params, text=text)

    def api_sendphoto(self, params: JSON, files: JSON) -> JSON:
        chat_id = self._check_target(params)
        caption = params.get("caption")
        if caption and visible_length(caption, params.get("parse_mode")) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        if "photo" not in files and not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        self._check_markup(params)
        size = len(files["photo"][1]) if "photo" in files else 0
        photo = [{"file_id": "photo1", "file_unique_id": "p1", "width": 640, "height": 480}]
        content: JSON = {"photo": photo, "file_size": size}
        if caption:
            content["caption"] = caption
        return self._new_message(chat_id, params, **content)

    def _stored(self, params: JSON) -> JSON:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def api_editmessagetext(self, params: JSON, files: JSON) -> JSON:
        message = self._stored(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = params.get("text") or ""
        if visible_length(text, params.get("parse_mode")) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._check_markup(params)
        markup = params.get("reply_markup")
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def api_editmessagereplymarkup(self, params: JSON, files: JSON) -> JSON:
        message = self._stored(params)
        self._check_markup(params)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    def api_editmessagecaption(self, params: JSON, files: JSON) -> JSON:
        message = self._stored(params)
        caption = params.get("caption") or ""
        if visible_length(caption, params.get("parse_mode")) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        message["caption"] = caption
        return message

    def api_answercallbackquery(self, params: JSON, files: JSON) -> bool:
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def api_createforumtopic(self, params: JSON, files: JSON) -> JSON:
        chat = self._chat(int(params["chat_id"]))
        if not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = params.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        topic = {"message_thread_id": next(self._topic_ids), "name": name, "icon_color": 7322096}
        self.topics.setdefault(chat["id"], []).append(topic)
        return topic

    def api_getchatmember(self, params: JSON, files: JSON) -> JSON:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        user = self.bot if user_id == self.bot["id"] else self._user(user_id)
        status = self.members.get((chat_id, user_id), "member")
        member: JSON = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_restrict_members",
                        "can_invite_users",
                        "can_change_info",
                        "can_manage_video_chats",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    ),
                    True,
                )
            )
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _admin_call(self, params: JSON) -> tuple[int, int]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        if chat_id in self.no_rights:
            raise ApiError(400, "Bad Request: not enough rights to manage chat members")
        return chat_id, user_id

    def _answer_request(self, params: JSON, status: str | None) -> bool:
        chat_id, user_id = self._admin_call(params)
        if (chat_id, user_id) not in self.join_requests:
            raise ApiError(400, "Bad Request: HIDE_REQUESTER_MISSING")
        self.join_requests.discard((chat_id, user_id))
        if status is not None:
            self.members[(chat_id, user_id)] = status
        return True

    def api_approvechatjoinrequest(self, params: JSON, files: JSON) -> bool:
        return self._answer_request(params, "member")

    def api_declinechatjoinrequest(self, params: JSON, files: JSON) -> bool:
        return self._answer_request(params, None)

    def api_banchatmember(self, params: JSON, files: JSON) -> bool:
        chat_id, user_id = self._admin_call(params)
        self.members[(chat_id, user_id)] = "kicked"
        return True

    def api_unbanchatmember(self, params: JSON, files: JSON) -> bool:
        chat_id, user_id = self._admin_call(params)
        if self.members.get((chat_id, user_id)) == "kicked" or not params.get("only_if_banned"):
            self.members[(chat_id, user_id)] = "left"
        return True

    def api_getchatadministrators(self, params: JSON, files: JSON) -> list[JSON]:
        chat_id = int(params["chat_id"])
        if self._chat(chat_id).get("type") == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [
            self.api_getchatmember({"chat_id": chat, "user_id": user}, files)
            for (chat, user), status in self.members.items()
            if chat == chat_id and status in ("administrator", "creator")
        ]

    def api_getchat(self, params: JSON, files: JSON) -> JSON:
        chat = self._chat(int(params["chat_id"]))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, tuple[str, bytes]]]:
    """Decode python-telegram-bot's form or multipart body back into Python values."""
    params: JSON = {}
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        return dict(await request.json()), files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = (value.filename or name, value.file.read())
        elif name in STRING_PARAMS:
            params[name] = str(value)
        else:
            try:
                params[name] = json.loads(str(value))
            except ValueError:
                params[name] = str(value)
    return params, files


def _error(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code)


def _short(params: JSON) -> JSON:
    return {
        k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v) for k, v in params.items()
    }
