"""The discord.py client govbot runs: sharded, minimal intents, mentions off by default.

Intents: guilds (guild, channel and role cache for actors and threads), guild_messages
(MESSAGE_CREATE with its reference, for reply contributions) and guild_reactions (raw
reaction add/remove). The privileged message_content intent is requested only when
`discord.message_content` is on, for /summary to read a proposal thread's text when asked;
otherwise message content arrives empty. govbot never stores Discord message text.
Members and presences are not needed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.buttons import GovButton
from bot.adapters.discord.commands import build_tree
from bot.adapters.discord.guard import guard_parsers
from bot.adapters.discord.render import NO_MENTIONS

if TYPE_CHECKING:
    from bot.adapters.discord.ports import InteractionSink

log = logging.getLogger(__name__)


def intents(*, message_content: bool = False) -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.guild_reactions = True
    chosen.message_content = message_content
    return chosen


class GovClient(discord.AutoShardedClient):
    """AutoShardedClient: one process may run all shards, or a slice (shard_ids)."""

    def __init__(
        self,
        adapter: InteractionSink,
        *,
        guild_ids: list[int],
        shard_ids: list[int] | None,
        shard_count: int | None,
        pinned_gateway: bool,
        message_content: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("max_messages", None)  # raw events only: no message cache
        options.setdefault("chunk_guilds_at_startup", False)
        super().__init__(
            intents=intents(message_content=message_content),
            allowed_mentions=NO_MENTIONS,
            # None (all shards) is discord.py's own default; its stubs only say list[int]
            shard_ids=shard_ids,  # type: ignore[arg-type]
            shard_count=shard_count,
            **options,
        )
        guard_parsers(self._connection)  # one malformed event must not end the session
        self.adapter = adapter
        self.guild_ids = guild_ids
        self.pinned_gateway = pinned_gateway
        self.tree = build_tree(self, adapter.host.commands_on("discord"), adapter)

    async def setup_hook(self) -> None:
        """Register the button factory and sync the commands before the gateway connects."""
        self.add_dynamic_items(GovButton)
        if self.guild_ids:
            for guild_id in self.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild=%s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to appear)", len(synced))

    async def launch_shards(self) -> None:
        """With a configured gateway URL, ask /gateway/bot only for the shard count.

        Without a shard count discord.py dials the URL /gateway/bot returns, which would
        ignore DISCORD_GATEWAY_URL; fixing the count first makes it use DEFAULT_GATEWAY.
        """
        if self.pinned_gateway and self.shard_count is None:
            self.shard_count, _url, _limits = await self.http.get_bot_gateway()
        await super().launch_shards()

    async def on_ready(self) -> None:
        log.info(
            "discord ready user=%s guilds=%d shards=%s",
            self.user,
            len(self.guilds),
            self.shard_ids or self.shard_count,
        )
        self.adapter.mark_ready()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.adapter.on_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.adapter.on_reaction(payload, added=False)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)
