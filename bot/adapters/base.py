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

from typing import Protocol

from handlers.types import Reply


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

    async def stop(self) -> None: ...
