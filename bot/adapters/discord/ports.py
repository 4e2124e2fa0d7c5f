"""What the discord.py glue (client, slash commands, buttons) calls on the adapter.

The client, the command tree and the buttons only hand Discord's events to the
adapter; typing them against this protocol instead of `DiscordAdapter` keeps the
import graph one-way (the adapter builds the client, never the reverse).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.adapters.base import AdapterHost


class InteractionSink(Protocol):
    host: AdapterHost

    def mark_ready(self) -> None: ...

    async def on_command(
        self, interaction: discord.Interaction, name: str, values: dict[str, Any]
    ) -> None: ...

    async def on_context(
        self, interaction: discord.Interaction, message: discord.Message, name: str
    ) -> None: ...

    async def on_press(self, interaction: discord.Interaction, custom_id: str) -> None: ...

    def completer(
        self, kind: str, value_type: type
    ) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[Any]]]]: ...

    async def on_reaction(
        self, payload: discord.RawReactionActionEvent, *, added: bool
    ) -> None: ...

    async def on_message(self, message: discord.Message) -> None: ...
