"""What the adapter remembers between updates, in memory and bounded.

Telegram does not say who wrote a message that was reacted to, nor whether a member is an
admin, and a private reply to someone who never started the bot has to wait for them.
None of this is governance state (that lives in the database); losing it on restart
costs at most an unknown reaction author or an expired deep link.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from handlers.core.types import Actor, Reply

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A dict that forgets its oldest entries beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def __len__(self) -> int:
        return len(self._items)


class AdminCache:
    """Is a member an admin here? Configured ids, else the chat's administrator list.

    One `getChatAdministrators` per chat per `ttl` answers for every member: a burst of
    members the bot has never seen costs one call, not one `getChatMember` each, and
    concurrent askers share the call in flight. A demoted admin loses admin rights
    within `ttl` seconds; when the list cannot be fetched, the last one known is used.
    """

    ADMIN = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})

    def __init__(self, admin_ids: list[str], ttl: float = 60.0, size: int = 1_000) -> None:
        self.admin_ids = frozenset(str(i) for i in admin_ids)
        self.ttl = ttl
        self._lists: LRU[int, tuple[frozenset[int], float]] = LRU(size)
        self._fetching: dict[int, asyncio.Future[frozenset[int]]] = {}

    async def is_admin(self, bot: Bot, chat_id: int | None, user_id: int) -> bool:
        if str(user_id) in self.admin_ids:
            return True
        if chat_id is None:
            return False
        return user_id in await self.admins(bot, chat_id)

    async def admins(self, bot: Bot, chat_id: int) -> frozenset[int]:
        """The user ids administering `chat_id` (cached for `ttl`, one fetch at a time)."""
        cached = self._lists.get(chat_id)
        if cached is not None and time.monotonic() - cached[1] < self.ttl:
            return cached[0]
        running = self._fetching.get(chat_id)
        if running is None:
            running = asyncio.ensure_future(self._fetch(bot, chat_id, cached))
            self._fetching[chat_id] = running
            running.add_done_callback(lambda _f: self._fetching.pop(chat_id, None))
        return await asyncio.shield(running)

    async def _fetch(
        self, bot: Bot, chat_id: int, cached: tuple[frozenset[int], float] | None
    ) -> frozenset[int]:
        try:
            found = await bot.get_chat_administrators(chat_id)
        except TelegramError as error:
            log.warning("getChatAdministrators failed chat_id=%s: %s", chat_id, error)
            return cached[0] if cached is not None else frozenset()
        ids = frozenset(m.user.id for m in found if m.status in self.ADMIN)
        self._lists.put(chat_id, (ids, time.monotonic()))
        return ids


@dataclass
class Pending:
    user_id: int
    replies: list[Reply]
    expires: float


class PendingPrivate:
    """Private replies waiting for a member who has not started the bot yet.

    The group notice carries `t.me/<bot>?start=<token>`; when that member opens it, /start
    hands the token back and the replies are delivered in the new private chat.
    """

    PREFIX = "pr_"

    def __init__(self, ttl: float = 24 * 3600, size: int = 2_000) -> None:
        self.ttl = ttl
        self._items: LRU[str, Pending] = LRU(size)

    def add(self, user_id: int, replies: list[Reply]) -> str:
        token = self.PREFIX + secrets.token_urlsafe(12)  # deep links allow [A-Za-z0-9_-]{1,64}
        self._items.put(token, Pending(user_id, list(replies), time.monotonic() + self.ttl))
        return token

    def take(self, token: str, user_id: int) -> list[Reply] | None:
        """The replies for this member, once; None if unknown, expired or someone else's."""
        entry = self._items.get(token)
        if entry is None or entry.user_id != user_id or entry.expires < time.monotonic():
            return None
        self._items.put(token, Pending(entry.user_id, [], 0.0))  # single use
        return entry.replies


class Authors:
    """Who wrote recent messages, so reactions and replies can name the credited member."""

    def __init__(self, size: int = 50_000) -> None:
        self._items: LRU[tuple[int, int], Actor] = LRU(size)

    def remember(self, chat_id: int, message_id: int, author: Actor) -> None:
        self._items.put((chat_id, message_id), author)

    def get(self, chat_id: int, message_id: int) -> Actor | None:
        return self._items.get((chat_id, message_id))
