"""A small fake of Discord's REST API and gateway on 127.0.0.1, for the real discord.py client.

Why: end-to-end tests and the benchmark must drive the genuine `discord.Client` (its
gateway state machine, command tree, interaction responses, webhooks) without the
internet. Point the client at it with `discord.http.Route.BASE = fake.api_base_url` and
`DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)` (the govbot adapter
does this from `DISCORD_API_BASE_URL` / `DISCORD_GATEWAY_URL`).

What it speaks
--------------
Gateway (`/gateway`, JSON text frames, no compression needed): HELLO → IDENTIFY →
READY (user, application id, the requested shard, a loopback `resume_gateway_url`) →
one GUILD_CREATE per guild of that shard; heartbeats are ACKed; RESUME → RESUMED.
Tests then push events with `dispatch()` or the helpers (`send_interaction`,
`reaction`, `message_create`).

REST (under `/api/v10`): `GET /gateway`, `/gateway/bot`, `/users/@me`,
`/oauth2/applications/@me`, `/applications/@me`; bulk overwrite of global and guild
application commands (echoed back with ids, and remembered so interaction payloads can
be built from them); `POST /interactions/{id}/{token}/callback`; webhook follow-ups
`POST /webhooks/{app}/{token}`, `GET|PATCH|DELETE …/messages/@original|{id}`; channel
messages `POST|PATCH|GET /channels/{c}/messages[/{m}]` (JSON or multipart with files);
`GET /channels/{c}/messages` (history, newest first, `limit`/`before`),
`POST /channels/{c}/messages/{m}/threads` (the thread gets the message's id), forum
posts `POST /channels/{c}/threads`;
`GET /channels/{c}`; DMs `POST /users/@me/channels`; member roles `PUT|DELETE
/guilds/{g}/members/{u}/roles/{r}` (refused with 403 50013 as Discord does when the bot
lacks Manage Roles — `bot_manage_roles = False` — or the role is not below the bot's
own), `GET /guilds/{g}/roles`, `GET /guilds/{g}/members/{u}`. The guild has, from the
bottom: Member, Admin, Holder (`holder_role_id`), the bot's own role, and High
(`high_role_id`, above the bot). Anything else is recorded and answered 404, so a test
can see what the client tried.

Every request is recorded as a `Call` (method, path relative to the API base, query,
JSON body — the `payload_json` part for multipart — file names and sizes, and a
`time.perf_counter()` stamp). `wait_for()` polls for a call with a timeout, so tests
never sleep blindly. Interaction payload builders fill every field discord.py reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.harness.fakes.loopback import serve_loopback

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
ALL_PERMISSIONS = str((1 << 50) - 1)
MEMBER_PERMISSIONS = str(
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 31)
)
MANAGE_GUILD = 1 << 5
MANAGE_ROLES = 1 << 28
EPHEMERAL = 1 << 6

# Discord application command option types.
OPTION_STRING, OPTION_INTEGER, OPTION_NUMBER = 3, 4, 10


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Call:
    """One REST request the client made."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, int]]
    at: float

    @property
    def flags(self) -> int:
        data = self.json.get("data", self.json) if isinstance(self.json, dict) else {}
        return int((data or {}).get("flags") or 0)


@dataclass
class FakeUser:
    """A guild member the tests act as."""

    id: int
    name: str
    role_ids: tuple[int, ...] = ()
    admin: bool = False
    bot: bool = False

    def user_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member_payload(self, *, with_user: bool = True) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": now_iso(),
            "nick": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": ALL_PERMISSIONS if self.admin else MEMBER_PERMISSIONS,
        }
        if with_user:
            payload["user"] = self.user_payload()
        return payload


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    identify: dict[str, Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FakeDiscord:
    """The fake server. `async with FakeDiscord() as fake:` or `await start()` / `stop()`."""

    def __init__(self, *, guild_name: str = "Test Guild", heartbeat_ms: int = 30_000) -> None:
        self._ids = itertools.count(1)
        self.heartbeat_ms = heartbeat_ms
        self.app_id = self.snowflake()
        self.bot = FakeUser(self.snowflake(), "govbot", bot=True)
        self.owner = FakeUser(self.snowflake(), "owner")
        self.guild_id = self.snowflake()
        self.guild_name = guild_name
        self.channel_id = self.snowflake()
        self.forum_id = self.snowflake()
        self.admin_role_id = self.snowflake()
        self.member_role_id = self.snowflake()
        self.holder_role_id = self.snowflake()
        self.bot_role_id = self.snowflake()
        self.high_role_id = self.snowflake()
        self.bot_manage_roles = True  # False: the bot's role lacks Manage Roles
        self.granted: dict[int, set[int]] = {}  # user id → role ids added over REST
        self.calls: list[Call] = []
        self.sessions: list[GatewaySession] = []
        self.identifies: list[dict[str, Any]] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.messages: dict[int, dict[str, Any]] = {}
        self.original: dict[str, int] = {}  # interaction token → original response message id
        self.interactions_sent: dict[str, float] = {}  # interaction id → perf_counter at send
        self.callbacks: dict[str, Call] = {}  # interaction id → its callback call
        self.callback_delay = 0.0  # seconds each interaction callback takes to answer
        self._users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle --------------------------------------------------------------
    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner, self.port = await serve_loopback(app, access_log=None)
        return self

    async def stop(self) -> None:
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ----- ids and payloads ---------------------------------------------------------
    def snowflake(self) -> int:
        """A real-looking snowflake (its timestamp is now), unique within this fake."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    def add_user(self, name: str, *, admin: bool = False, roles: Iterable[int] = ()) -> FakeUser:
        role_ids = tuple(roles) + ((self.admin_role_id,) if admin else (self.member_role_id,))
        user = FakeUser(self.snowflake(), name, role_ids, admin)
        self._users[user.id] = user
        return user

    def role_payloads(self) -> list[dict[str, Any]]:
        def role(role_id: int, name: str, perms: str, position: int) -> dict[str, Any]:
            return {
                "id": str(role_id),
                "name": name,
                "permissions": perms,
                "position": position,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }

        bot_perms = str(MANAGE_ROLES if self.bot_manage_roles else 0)
        return [
            role(self.guild_id, "@everyone", "0", 0),
            role(self.member_role_id, "Member", MEMBER_PERMISSIONS, 1),
            role(self.admin_role_id, "Admin", str(MANAGE_GUILD), 2),
            role(self.holder_role_id, "Holder", "0", 3),
            role(self.bot_role_id, "govbot", bot_perms, 4),
            role(self.high_role_id, "High", "0", 5),
        ]

    def channel_payload(self, channel_id: int | None = None) -> dict[str, Any]:
        channel_id = channel_id or self.channel_id
        if channel_id == self.forum_id:
            return {
                "id": str(self.forum_id),
                "type": 15,
                "guild_id": str(self.guild_id),
                "name": "proposals",
                "position": 1,
                "permission_overwrites": [],
                "available_tags": [],
                "flags": 0,
            }
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def guild_payload(self) -> dict[str, Any]:
        bot_member = self.bot.member_payload()
        bot_member["roles"] = [str(self.bot_role_id)]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "unavailable": False,
            "large": False,
            "member_count": 2,
            "features": [],
            "roles": self.role_payloads(),
            "emojis": [],
            "stickers": [],
            "channels": [self.channel_payload(), self.channel_payload(self.forum_id)],
            "threads": [],
            "members": [bot_member],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "joined_at": now_iso(),
        }

    def message_payload(
        self,
        *,
        channel_id: int | None = None,
        author: FakeUser | None = None,
        content: str = "",
        message_id: int | None = None,
        components: list[dict[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
        flags: int = 0,
        reference: dict[str, Any] | None = None,
        webhook_id: int | None = None,
    ) -> dict[str, Any]:
        author = author or self.bot
        payload: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id or self.channel_id),
            "guild_id": str(self.guild_id),
            "author": author.user_payload(),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
        }
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
            payload["application_id"] = str(self.app_id)
        if reference is not None:
            payload["message_reference"] = reference
        return payload

    def _stored_message(self, channel_id: int, body: dict[str, Any], files, **extra) -> dict:  # type: ignore[no-untyped-def]
        payload = self.message_payload(
            channel_id=channel_id,
            content=body.get("content") or "",
            components=body.get("components") or [],
            embeds=body.get("embeds") or [],
            flags=int(body.get("flags") or 0),
            **extra,
        )
        payload["attachments"] = [
            {
                "id": str(self.snowflake()),
                "filename": name,
                "size": size,
                "url": f"http://127.0.0.1:{self.port}/attachments/{name}",
                "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{name}",
            }
            for name, size in files
        ]
        self.messages[int(payload["id"])] = payload
        return payload

    def _update_message(self, message_id: int, body: dict[str, Any], files) -> dict:  # type: ignore[no-untyped-def]
        payload = self.messages.get(message_id) or self.message_payload(message_id=message_id)
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                payload[key] = body[key]
        if files:
            payload["attachments"] = [
                {"id": str(self.snowflake()), "filename": n, "size": s, "url": "", "proxy_url": ""}
                for n, s in files
            ]
        payload["edited_timestamp"] = now_iso()
        self.messages[message_id] = payload
        return payload

    # ----- gateway -------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(ws)
        self.sessions.append(session)
        try:
            await self._send(session, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                op = data.get("op")
                if op == 1:
                    await self._send(session, {"op": 11, "d": None})
                elif op == 2:
                    await self._identify(session, data["d"])
                elif op == 6:
                    session.identified.set()
                    await self._dispatch_to(session, "RESUMED", {})
        finally:
            self.sessions.remove(session)
        return ws

    async def _send(self, session: GatewaySession, payload: dict[str, Any]) -> None:
        async with session.lock:
            if not session.ws.closed:
                await session.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        await self._send(session, {"op": 0, "t": event, "s": session.seq, "d": data})

    async def _identify(self, session: GatewaySession, data: dict[str, Any]) -> None:
        session.identify = data
        self.identifies.append(data)
        shard = tuple(data.get("shard") or (0, 1))
        session.shard = (int(shard[0]), int(shard[1]))
        guild_shard = (self.guild_id >> 22) % session.shard[1]
        mine = guild_shard == session.shard[0]
        ready = {
            "v": 10,
            "user": {**self.bot.user_payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}] if mine else [],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": self.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(self.app_id), "flags": 0},
        }
        await self._dispatch_to(session, "READY", ready)
        if mine:
            await self._dispatch_to(session, "GUILD_CREATE", self.guild_payload())
        session.identified.set()

    async def dispatch(self, event: str, data: Any) -> None:
        """Send one DISPATCH event to every identified session (shard 0 of 1 in tests)."""
        for session in list(self.sessions):
            if session.identified.is_set():
                await self._dispatch_to(session, event, data)

    async def wait_identified(self, timeout: float = 10.0) -> GatewaySession:
        async def wait() -> GatewaySession:
            while True:
                for session in self.sessions:
                    if session.identified.is_set():
                        return session
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(wait(), timeout)

    # ----- REST -------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[tuple[str, int]] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(str(value))
                elif hasattr(value, "file"):
                    files.append((value.filename, len(value.file.read())))
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        call = Call(request.method, path, dict(request.query), body, files, time.perf_counter())
        self.calls.append(call)
        return await self._route(call)

    def _json(self, data: Any, status: int = 200) -> web.Response:
        # discord.py parses a body as JSON only if Content-Type is exactly application/json.
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json"},
        )

    async def _route(self, call: Call) -> web.StreamResponse:
        m, p, body = call.method, call.path, call.json or {}
        if m == "GET" and p == "/gateway":
            return self._json({"url": self.gateway_url})
        if m == "GET" and p == "/gateway/bot":
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})
        if m == "GET" and p == "/users/@me":
            return self._json(self.bot.user_payload())
        if m == "GET" and p in ("/oauth2/applications/@me", "/applications/@me"):
            return self._json(self._application())
        if match := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", p):
            guild = int(match.group(2)) if match.group(2) else None
            if m == "PUT":
                self.commands[guild] = [self._command_out(c, guild) for c in body]
            return self._json(self.commands.get(guild, []))
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p):
            self.callbacks.setdefault(match.group(1), call)
            if self.callback_delay:  # a slow network: the deferral is still on its way
                await asyncio.sleep(self.callback_delay)
            return self._json(self._callback(match.group(1), match.group(2), call))
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/([^/]+))?", p):
            return self._webhook(m, match.group(2), match.group(3), call)
        if (match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", p)) and m == "POST":
            # as on Discord, a thread opened on a message has that message's id
            thread = self._thread(int(match.group(1)), body.get("name", ""))
            return self._json({**thread, "id": match.group(2)})
        if (match := re.fullmatch(r"/channels/(\d+)/threads", p)) and m == "POST":
            thread = self._thread(int(match.group(1)), body.get("name", ""), forum=True)
            message = self._stored_message(int(thread["id"]), body.get("message") or {}, call.files)
            return self._json({**thread, "message": message})
        if match := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", p):
            channel, message_id = int(match.group(1)), match.group(2)
            if m == "POST" and message_id is None:
                ref = body.get("message_reference")
                return self._json(self._stored_message(channel, body, call.files, reference=ref))
            if m == "PATCH" and message_id:
                return self._json(self._update_message(int(message_id), body, call.files))
            if m == "GET" and message_id and int(message_id) in self.messages:
                return self._json(self.messages[int(message_id)])
            if m == "GET" and message_id is None:
                return self._json(self._history(channel, call.query))
        if (match := re.fullmatch(r"/channels/(\d+)", p)) and m == "GET":
            return self._json(self.channel_payload(int(match.group(1))))
        if match := re.fullmatch(r"/guilds/(\d+)/members/(\d+)/roles/(\d+)", p):
            return self._member_role(m, int(match.group(2)), int(match.group(3)))
        if (match := re.fullmatch(r"/guilds/(\d+)/roles", p)) and m == "GET":
            return self._json(self.role_payloads())
        if (match := re.fullmatch(r"/guilds/(\d+)/members/(\d+)", p)) and m == "GET":
            user = self._users.get(int(match.group(2)))
            if user is None:
                return self._json({"message": "Unknown Member", "code": 10007}, status=404)
            payload = user.member_payload()
            payload["roles"] += [str(r) for r in sorted(self.granted.get(user.id, ()))]
            return self._json(payload)
        if m == "POST" and p == "/users/@me/channels":
            recipient = self._users.get(int(body.get("recipient_id", 0)))
            recipients = [recipient.user_payload()] if recipient else []
            return self._json({"id": str(self.snowflake()), "type": 1, "recipients": recipients})
        return self._json({"message": f"fake: no route {m} {p}", "code": 0}, status=404)

    def _member_role(self, method: str, user_id: int, role_id: int) -> web.Response:
        """Add or remove a member's role as Discord does: 204, or 403 Missing Permissions."""
        positions = {int(r["id"]): r["position"] for r in self.role_payloads()}
        if role_id not in positions:
            return self._json({"message": "Unknown Role", "code": 10011}, status=404)
        if user_id not in self._users:
            return self._json({"message": "Unknown Member", "code": 10007}, status=404)
        if not self.bot_manage_roles or positions[role_id] >= positions[self.bot_role_id]:
            return self._json({"message": "Missing Permissions", "code": 50013}, status=403)
        held = self.granted.setdefault(user_id, set())
        if method == "PUT":
            held.add(role_id)
        elif method == "DELETE":
            held.discard(role_id)
        return web.Response(status=204)

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "name": "govbot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.user_payload(),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
        }

    def _command_out(self, command: dict[str, Any], guild: int | None) -> dict[str, Any]:
        out = {
            "id": str(self.snowflake()),
            "application_id": str(self.app_id),
            "version": str(self.snowflake()),
            "type": command.get("type", 1),
            "description": command.get("description", ""),
            "options": command.get("options", []),
            "default_member_permissions": command.get("default_member_permissions"),
            "dm_permission": command.get("dm_permission", True),
            "nsfw": command.get("nsfw", False),
            **command,
        }
        if guild is not None:
            out["guild_id"] = str(guild)
        return out

    def _callback(self, interaction_id: str, token: str, call: Call) -> dict[str, Any]:
        body = call.json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        interaction: dict[str, Any] = {
            "id": interaction_id,
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        result: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):
            message = self._stored_message(
                self.channel_id, data, call.files, webhook_id=self.app_id
            )
            message["flags"] = flags | (128 if kind == 5 else 0)
            self.original[token] = int(message["id"])
            interaction["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        return result

    def _webhook(self, method: str, token: str, which: str | None, call: Call) -> web.Response:
        body = call.json or {}
        if which is None and method == "POST":
            message = self._stored_message(
                self.channel_id, body, call.files, webhook_id=self.app_id
            )
            return self._json(message)
        if which is None:
            return self._json({"message": "fake: webhook route", "code": 0}, status=404)
        message_id = self.original.get(token) if which == "@original" else int(which)
        if message_id is None:
            return self._json({"message": "Unknown Message", "code": 10008}, status=404)
        if method == "DELETE":
            self.messages.pop(message_id, None)
            return web.Response(status=204)
        if method == "PATCH":
            payload = self._update_message(message_id, body, call.files)
            payload["flags"] = int(payload.get("flags") or 0) & ~128
            return self._json(payload)
        return self._json(self.messages.get(message_id) or self.message_payload())

    def _history(self, channel_id: int, query: dict[str, str]) -> list[dict[str, Any]]:
        """`GET /channels/{c}/messages`: newest first, `limit` (≤ 100) before `before`."""
        limit = min(100, int(query.get("limit", 50)))
        before = int(query["before"]) if "before" in query else None
        found = sorted(
            (
                m
                for i, m in self.messages.items()
                if int(m["channel_id"]) == channel_id and (before is None or i < before)
            ),
            key=lambda m: int(m["id"]),
            reverse=True,
        )
        return found[:limit]

    def _thread(self, parent_id: int, name: str, *, forum: bool = False) -> dict[str, Any]:
        return {
            "id": str(self.snowflake()),
            "guild_id": str(self.guild_id),
            "parent_id": str(parent_id),
            "owner_id": str(self.bot.id),
            "name": name,
            "type": 11,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": now_iso(),
                "locked": False,
            },
        }

    # ----- interactions ----------------------------------------------------------------
    def find_command(self, name: str, kind: int = 1) -> dict[str, Any]:
        """A command the client synced (guild commands first)."""
        for guild in (self.guild_id, None):
            for command in self.commands.get(guild, []):
                if command["name"] == name and int(command.get("type", 1)) == kind:
                    return command
        raise KeyError(f"command {name!r} (type {kind}) was not synced")

    def _interaction(self, kind: int, user: FakeUser, data: dict[str, Any] | None) -> dict:  # type: ignore[type-arg]
        payload: dict[str, Any] = {
            "id": str(self.snowflake()),
            "application_id": str(self.app_id),
            "type": kind,
            "token": "tok-" + secrets.token_hex(24),
            "version": 1,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(self.channel_id),
            "channel": self.channel_payload(),
            "member": user.member_payload(),
            "app_permissions": ALL_PERMISSIONS,
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if data is not None:
            payload["data"] = data
        return payload

    def slash(
        self,
        name: str,
        user: FakeUser,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """A slash command, or with `focused` its autocomplete, built from the synced definition."""
        command = self.find_command(name)
        types = {o["name"]: int(o["type"]) for o in command.get("options", [])}
        given = []
        for key, value in (options or {}).items():
            if key not in types:
                raise KeyError(f"/{name} has no option {key!r}; it has {sorted(types)}")
            option: dict[str, Any] = {"name": key, "type": types[key], "value": value}
            if key == focused:
                option["focused"] = True
                option["value"] = str(value)
            given.append(option)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": given,
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return self._interaction(4 if focused else 2, user, data)

    def message_command(self, name: str, user: FakeUser, target: dict[str, Any]) -> dict[str, Any]:
        """A message context-menu command on `target` (a message payload)."""
        command = self.find_command(name, kind=3)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return self._interaction(2, user, data)

    def button(self, user: FakeUser, message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        """A button press on `message` (which must carry the button in its components)."""
        payload = self._interaction(3, user, {"custom_id": custom_id, "component_type": 2})
        payload["message"] = message
        return payload

    def buttons_of(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            child
            for row in message.get("components", [])
            for child in row.get("components", [])
            if child.get("type") == 2
        ]

    async def send_interaction(self, payload: dict[str, Any]) -> str:
        """Dispatch INTERACTION_CREATE; returns the interaction id (send time is recorded)."""
        self.interactions_sent[payload["id"]] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]

    # ----- other events ----------------------------------------------------------------------
    async def reaction(
        self,
        user: FakeUser,
        message_id: int,
        emoji: str,
        *,
        added: bool = True,
        message_author: FakeUser | None = None,
        channel_id: int | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(channel_id or self.channel_id),
            "message_id": str(message_id),
            "guild_id": str(self.guild_id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if added:
            data["member"] = user.member_payload()
            if message_author is not None:
                data["message_author_id"] = str(message_author.id)
            data["burst_colors"] = []
        await self.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", data)

    async def message_create(
        self,
        author: FakeUser,
        *,
        reply_to: dict[str, Any] | None = None,
        content: str = "",
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """A member's message (content empty, as without the message-content intent), in
        the main channel or `channel_id` (a thread)."""
        reference = None
        if reply_to is not None:
            reference = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(self.guild_id),
            }
        payload = self.message_payload(
            author=author, content=content, reference=reference, channel_id=channel_id
        )
        payload["member"] = author.member_payload(with_user=False)
        if reply_to is not None:
            payload["referenced_message"] = reply_to
        self.messages[int(payload["id"])] = payload
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    # ----- inspection ------------------------------------------------------------------------
    def find(self, method: str, pattern: str, since: int = 0) -> list[Call]:
        rx = re.compile(pattern)
        return [c for c in self.calls[since:] if c.method == method and rx.fullmatch(c.path)]

    async def wait_for(
        self,
        method: str,
        pattern: str,
        *,
        since: int = 0,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Poll until `count` calls match (method, full-match path regex, predicate)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.find(method, pattern, since) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = "\n".join(f"  {c.method} {c.path}" for c in self.calls[since:])
                raise TimeoutError(
                    f"no {count}× {method} {pattern} within {timeout}s; saw:\n{seen}"
                )
            await asyncio.sleep(0.005)

    async def wait_callback(self, interaction_id: str, *, timeout: float = 10.0) -> Call:
        """The interaction's callback (its first answer), once it has arrived."""
        deadline = time.monotonic() + timeout
        while interaction_id not in self.callbacks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no callback for interaction {interaction_id} in {timeout}s")
            await asyncio.sleep(0.001)
        return self.callbacks[interaction_id]

    def callback_latency(self, interaction_id: str) -> float:
        """Seconds from INTERACTION_CREATE sent to its callback received (both stamped here)."""
        return self.callbacks[interaction_id].at - self.interactions_sent[interaction_id]

    def webhook_calls(self, token: str, since: int = 0) -> list[Call]:
        return [
            c for c in self.calls[since:] if c.path.startswith(f"/webhooks/{self.app_id}/{token}")
        ]
