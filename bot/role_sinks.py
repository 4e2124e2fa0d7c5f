"""The `RoleSink` for each platform, resolved to its adapter at call time.

Adapters are made after the core (`make_adapters`, or a test harness), and may be
replaced on a restart, so each sink looks its adapter up in the core's table when it
is used; with no such adapter connected it answers "unavailable" and nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.reach.roles.ports import NOT_FOUND, UNAVAILABLE, RoleResult, RoleSink


class PlatformSink:
    """Forwards each call to the platform adapter's own role calls."""

    def __init__(self, platform: str, adapters: Mapping[str, Any]) -> None:
        self.platform = platform
        self.adapters = adapters

    def _sink(self) -> RoleSink | None:
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


def platform_sinks(adapters: Mapping[str, Any]) -> dict[str, RoleSink]:
    return {p: PlatformSink(p, adapters) for p in ("discord", "telegram")}
