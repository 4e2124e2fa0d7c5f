"""Discord's side of roles that follow rules: add and remove a member's role.

Checks first what Discord would refuse, from the gateway's view of the guild: the bot
needs Manage Roles, and may only manage roles below its own highest role. Either
problem is answered as a `RoleResult` naming it (the handlers log it once and show it
in /roles) without calling Discord; a 403 from Discord itself is read the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from handlers.reach.roles.ports import (
    ABOVE_BOT,
    DONE,
    MISSING_PERMISSION,
    NOT_FOUND,
    UNAVAILABLE,
    RoleResult,
)

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

REASON = "govbot: role rule"


class DiscordRoles:
    """`RoleSink` over the adapter's discord.py client (join requests are Telegram's)."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    async def grant(self, space_id: str, user_id: str, role_id: str) -> RoleResult:
        return await self._change(space_id, user_id, role_id, add=True)

    async def revoke(self, space_id: str, user_id: str, role_id: str) -> RoleResult:
        return await self._change(space_id, user_id, role_id, add=False)

    async def approve(self, chat_id: str, user_id: str) -> RoleResult:
        return RoleResult(NOT_FOUND, "Discord has no join requests")

    decline = remove = approve

    async def _change(self, space_id: str, user_id: str, role_id: str, *, add: bool) -> RoleResult:
        if not self.adapter.connected:
            return RoleResult(UNAVAILABLE, "Discord is not connected")
        client = self.adapter.client
        guild = client.get_guild(int(space_id)) if space_id.isdigit() else None
        if guild is None:
            return RoleResult(NOT_FOUND, f"the bot is not in server {space_id}")
        role = guild.get_role(int(role_id))
        if role is None:
            return RoleResult(NOT_FOUND, f"no role {role_id} on {guild.name}")
        me = guild.me
        if me is None:
            return RoleResult(UNAVAILABLE, "the bot's own member is not known yet")
        if not me.guild_permissions.manage_roles:
            return RoleResult(MISSING_PERMISSION, f"Manage Roles on {guild.name}")
        if role >= me.top_role:
            return RoleResult(
                ABOVE_BOT, f"move the bot's role {me.top_role.name} above {role.name}"
            )
        try:
            if add:
                await client.http.add_role(guild.id, int(user_id), role.id, reason=REASON)
            else:
                await client.http.remove_role(guild.id, int(user_id), role.id, reason=REASON)
        except discord.Forbidden as error:
            return RoleResult(MISSING_PERMISSION, f"Discord refused: {error.text or error.status}")
        except discord.NotFound:
            return RoleResult(NOT_FOUND, f"member {user_id} is not on {guild.name}")
        except (discord.HTTPException, OSError) as error:
            return RoleResult(UNAVAILABLE, f"Discord did not answer: {error}")
        return RoleResult(DONE, guild.name)  # the server's name, for the member's notice
