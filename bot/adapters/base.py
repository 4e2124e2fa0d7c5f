"""What every platform adapter provides to the app, and the reply rules they share.

An adapter translates: platform update → neutral `Event` → `Dispatcher.handle` →
`Reply` list → platform calls. It decides nothing. Reply semantics every adapter honours:

* `private` → to the actor only (Telegram DM, Discord ephemeral, console "→ name (private)").
* `card` set and not `edit` → after sending, `dispatcher.card_sent(card, platform, channel, msg)`.
* `edit` → a refresh marker: for each `dispatcher.card_places(card, platform)`, re-render
  with `dispatcher.render_card(card)` and edit that message in place; adapters coalesce
  bursts (many votes → one edit per card per interval).
* `thread_title` → open a discussion thread on the sent message (where the platform can).
* `where` set → send to that place instead of the origin (scheduled results).
* `image` → a PNG path to attach.
* `meta["error"]` → this reply is a refusal (Discord may make it ephemeral).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from handlers.core.registry import CommandSpec
from handlers.core.types import CardKey, Event, Reply


class AdapterHost(Protocol):
    """All an adapter may ask of the rest of govbot (bot/app.py's Core implements it).

    Adapters never query storage or reach into the dispatcher: they hand events in,
    route replies meant for other platforms, read the command table for their platform,
    ask for completions, and keep the bookkeeping of live cards.
    """

    async def dispatch(self, event: Event) -> list[Reply]:
        """Handle one neutral event; the replies to send."""
        ...

    async def route(self, replies: list[Reply]) -> None:
        """Deliver replies addressed elsewhere (another platform, a scheduled result)."""
        ...

    def settings_for(self, platform: str) -> Any:
        """This platform's settings section (TelegramSettings, DiscordSettings, …)."""
        ...

    def commands_on(self, platform: str) -> list[CommandSpec]:
        """The commands that exist on this platform, in /help order."""
        ...

    def command(self, name: str) -> CommandSpec | None: ...

    async def complete(
        self,
        platform: str,
        space_id: str,
        kind: str,
        typed: str,
        options: Mapping[str, Any],
        *,
        max_items: int = 25,
        max_label: int = 100,
    ) -> list[tuple[str, Any]]:
        """(label, value) completions for a parameter of `kind` ("proposal", "choice")."""
        ...

    async def render_card(self, key: CardKey) -> Reply | None: ...

    async def card_sent(
        self, key: CardKey, platform: str, channel_id: str, message_id: str
    ) -> None: ...

    async def card_places(self, key: CardKey, platform: str) -> list[tuple[str, str]]: ...

    async def delivered(self, keys: list[str]) -> dict[str, bool]:
        """Which platform deliveries were seen before (`Event.key`): True when handled and
        answered, False when only their effect committed (handle again: it replays)."""
        ...

    async def mark_delivered(self, key: str) -> None:
        """Note a delivery handled and answered; returns once that is durable."""
        ...


class Adapter(Protocol):
    platform: str

    @property
    def connected(self) -> bool:
        """True while the adapter can take events and send replies (read by /healthz)."""
        ...

    async def run(self) -> None:
        """Serve until stopped (or, for the console, until end of input)."""
        ...

    async def deliver(self, reply: Reply) -> None:
        """Send a reply that has `where` set and no triggering event (scheduled results)."""
        ...

    async def stop(self, deadline: float | None = None) -> None:
        """Take no new events; finish those in hand by `deadline` (event-loop time, one
        for the whole process), then disconnect. What cannot finish in time is left for
        the platform to deliver again where it can (Telegram)."""
        ...

    async def ready(self, timeout: float | None = None) -> bool:
        """Wait until the adapter is connected and serving; False on timeout."""
        ...


async def wait_for_event(event: asyncio.Event, timeout: float | None) -> bool:
    """`Adapter.ready` for adapters that set an event once connected; False on timeout."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True
