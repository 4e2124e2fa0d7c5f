"""Discord users, members and places → the neutral Actor and Where.

An actor is an admin when Discord says it may Manage Server (or is Administrator) or
when it holds the configured admin role; its account age comes from its snowflake, so
no extra API call is needed for the minimum-age rule.
"""

from __future__ import annotations

import discord
from discord.utils import snowflake_time

from handlers.core.types import Actor, Where

PLATFORM = "discord"


def actor_of(
    user: discord.abc.User | discord.Object,
    *,
    admin_role: str | None = None,
    permissions: discord.Permissions | None = None,
) -> Actor:
    """Actor for a user or member; `permissions` (an interaction's) wins over the cache."""
    user_id = int(user.id)
    roles: tuple[str, ...] = ()
    is_admin = False
    if isinstance(user, discord.Member):
        roles = tuple(role.name for role in user.roles if not role.is_default())
        if permissions is None:
            permissions = user.guild_permissions
    if permissions is not None:
        is_admin = permissions.administrator or permissions.manage_guild
    if admin_role and admin_role in roles:
        is_admin = True
    name = getattr(user, "display_name", None) or str(user_id)
    return Actor(
        PLATFORM,
        str(user_id),
        name,
        roles=roles,
        is_admin=is_admin,
        account_created=snowflake_time(user_id),
        is_bot=bool(getattr(user, "bot", False)),
    )


def where_of(guild_id: int | None, channel: object, channel_id: int | None) -> Where:
    """Where for a guild channel or thread; no guild means a DM (private)."""
    channel_id = channel_id or getattr(channel, "id", None) or 0
    thread_id = str(channel_id) if isinstance(channel, discord.Thread) else None
    return Where(
        PLATFORM,
        str(guild_id) if guild_id else "",
        str(channel_id),
        thread_id=thread_id,
        is_private=guild_id is None,
    )
