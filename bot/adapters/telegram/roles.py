"""Telegram's side of roles that follow rules: a group joined by request.

`chat_join_request` updates become neutral `JoinRequest` events (the handlers decide);
`TelegramRoles` carries out their answer: approveChatJoinRequest /
declineChatJoinRequest, and for a member who no longer qualifies banChatMember then
unbanChatMember, which removes them without barring a later request. A refusal for
lack of rights (the bot must be an admin allowed to invite and ban) comes back as
MISSING_PERMISSION, never as an exception.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ChatJoinRequestHandler, ContextTypes

from bot.adapters.telegram.outbox import Origin
from bot.adapters.telegram.translate import actor_of, where_of
from handlers.core.types import Event, JoinRequest
from handlers.reach.roles.ports import (
    DONE,
    MISSING_PERMISSION,
    NOT_FOUND,
    UNAVAILABLE,
    RoleResult,
)

log = logging.getLogger(__name__)

RIGHTS = ("not enough rights", "chat_admin_required", "need administrator rights")


def _result(error: TelegramError) -> RoleResult:
    text = str(error)
    if isinstance(error, Forbidden) or any(r in text.lower() for r in RIGHTS):
        return RoleResult(MISSING_PERMISSION, f"Telegram refused: {text}")
    if isinstance(error, BadRequest):
        return RoleResult(NOT_FOUND, f"Telegram: {text}")
    return RoleResult(UNAVAILABLE, f"Telegram did not answer: {text}")


class TelegramRoles:
    """`RoleSink` over the adapter's bot (Telegram has no roles to grant, only groups)."""

    def __init__(self, adapter: Any) -> None:  # the TelegramAdapter (it imports us)
        self.adapter = adapter

    def _bot(self) -> Any:
        app = self.adapter.application
        return None if app is None or not self.adapter.connected else app.bot

    async def _do(self, *calls: tuple[str, dict[str, Any]]) -> RoleResult:
        bot = self._bot()
        if bot is None:
            return RoleResult(UNAVAILABLE, "Telegram is not connected")
        try:
            for name, params in calls:
                await getattr(bot, name)(**params)
        except TelegramError as error:
            return _result(error)
        return RoleResult(DONE)

    async def grant(self, space_id: str, user_id: str, role_id: str) -> RoleResult:
        return RoleResult(NOT_FOUND, "Telegram has no roles; use telegram_chat_id")

    revoke = grant

    async def approve(self, chat_id: str, user_id: str) -> RoleResult:
        ids = {"chat_id": int(chat_id), "user_id": int(user_id)}
        return await self._do(("approve_chat_join_request", ids))

    async def decline(self, chat_id: str, user_id: str) -> RoleResult:
        ids = {"chat_id": int(chat_id), "user_id": int(user_id)}
        return await self._do(("decline_chat_join_request", ids))

    async def remove(self, chat_id: str, user_id: str) -> RoleResult:
        ids = {"chat_id": int(chat_id), "user_id": int(user_id)}
        return await self._do(
            ("ban_chat_member", ids), ("unban_chat_member", {**ids, "only_if_banned": True})
        )


def join_request_handler(adapter: Any) -> ChatJoinRequestHandler[Any, Any]:
    """The handler the adapter installs: each request becomes one `JoinRequest` event."""

    async def on_join_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        request = update.chat_join_request
        if request is None:
            return
        user, chat = request.from_user, request.chat
        actor = actor_of(user)
        payload = JoinRequest(str(chat.id), str(request.user_chat_id or user.id))
        where = where_of(chat.id, private=False, thread_id=None)
        event = Event(actor, where, payload, key=adapter._key(update.update_id))
        replies = await adapter.host.dispatch(event)
        log.info(
            "join request update_id=%s chat_id=%s user_id=%s", update.update_id, chat.id, user.id
        )
        await adapter._committed()
        dm = request.user_chat_id or user.id  # Telegram lets the bot write there for 5 minutes
        origin = Origin(chat.id, None, False, bool(chat.is_forum), None, dm, actor)
        await adapter._quietly(replies, origin)

    return ChatJoinRequestHandler(on_join_request)
