"""The `RoleSink` for each platform, resolved to its adapter at call time.

Adapters are made after the core (`make_adapters`, or a test harness), and may be
replaced on a restart, so each sink looks its adapter up in the core's table when it
is used; with no such adapter connected it answers "unavailable" and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from handlers.core.types import Reply, Where
from handlers.reach.roles.ports import DONE, NOT_FOUND, UNAVAILABLE, RoleResult, RoleSink

log = logging.getLogger(__name__)


class PlatformRoles(Protocol):
    """What each platform's role module implements; DMs (`tell`) go through the
    adapter's delivery instead, so they are the same for every platform."""

    async def grant(self, space_id: str, user_id: str, role_id: str) -> RoleResult: ...

    async def revoke(self, space_id: str, user_id: str, role_id: str) -> RoleResult: ...

    async def approve(self, chat_id: str, user_id: str) -> RoleResult: ...

    async def decline(self, chat_id: str, user_id: str) -> RoleResult: ...

    async def remove(self, chat_id: str, user_id: str) -> RoleResult: ...


class PlatformSink:
    """Forwards each call to the platform adapter's own role calls."""

    def __init__(self, platform: str, adapters: Mapping[str, Any]) -> None:
        self.platform = platform
        self.adapters = adapters

    def _sink(self) -> PlatformRoles | None:
        adapter = self.adapters.get(self.platform)
        if adapter is None:
            return None
        if self.platform == "discord":
            from bot.adapters.discord.roles import DiscordRoles

            return DiscordRoles(adapter)
        if self.platform == "telegram":
            from bot.adapters.telegram.roles import TelegramRoles

            return TelegramRoles(adapter)
        return None

    async def _call(self, name: str, *args: str) -> RoleResult:
        sink = self._sink()
        if sink is None:
            return RoleResult(UNAVAILABLE, f"{self.platform} is not connected")
        method = getattr(sink, name, None)
        if method is None:
            return RoleResult(NOT_FOUND, f"{self.platform} cannot {name}")
        result: RoleResult = await method(*args)
        return result

    async def grant(self, space_id: str, user_id: str, role_id: str) -> RoleResult:
        return await self._call("grant", space_id, user_id, role_id)

    async def revoke(self, space_id: str, user_id: str, role_id: str) -> RoleResult:
        return await self._call("revoke", space_id, user_id, role_id)

    async def approve(self, chat_id: str, user_id: str) -> RoleResult:
        return await self._call("approve", chat_id, user_id)

    async def decline(self, chat_id: str, user_id: str) -> RoleResult:
        return await self._call("decline", chat_id, user_id)

    async def remove(self, chat_id: str, user_id: str) -> RoleResult:
        return await self._call("remove", chat_id, user_id)

    async def tell(self, user_id: str, text: str) -> RoleResult:
        """A DM through the adapter's own delivery, as private reminders are sent."""
        adapter = self.adapters.get(self.platform)
        if adapter is None:
            return RoleResult(UNAVAILABLE, f"{self.platform} is not connected")
        where = Where(self.platform, "", user_id, is_private=True)
        try:
            await adapter.deliver(Reply(text, where=where))
        except Exception as error:  # DMs closed, the platform down: the change stands
            log.info("role notice not delivered platform=%s: %s", self.platform, error)
            return RoleResult(UNAVAILABLE, str(error))
        return RoleResult(DONE)


def platform_sinks(adapters: Mapping[str, Any]) -> dict[str, RoleSink]:
    return {p: PlatformSink(p, adapters) for p in ("discord", "telegram")}
