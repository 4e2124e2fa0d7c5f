"""govbot on Discord (discord.py 2.7): slash commands generated from the registry,
DynamicItem buttons over the `gov:` codec, raw reaction and reply events.

Modules: `adapter` (interactions/events ↔ neutral events and replies), `client`
(the sharded client, intents, command sync), `commands` (the command tree), `buttons`,
`render` (Reply → Discord messages), `cards` (coalesced card edits), `people`
(Actor/Where), `endpoints` (REST/gateway URL overrides).
"""

from bot.adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
