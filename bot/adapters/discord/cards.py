"""Coalesced in-place edits of live cards.

A burst of votes produces one refresh marker each; editing the card once per marker
would hit Discord's per-channel edit rate limit and show no more than one edit does.
So a marker only marks the card dirty; one task per card waits `interval`, re-renders
from the database (the truth) and edits every copy, and repeats while markers arrived
meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from handlers.core.types import CardKey

log = logging.getLogger(__name__)


class CardRefresher:
    def __init__(self, refresh: Callable[[CardKey], Awaitable[None]], interval: float) -> None:
        self._refresh = refresh
        self.interval = interval
        self._dirty: set[CardKey] = set()
        self._tasks: dict[CardKey, asyncio.Task[None]] = {}

    def request(self, key: CardKey) -> None:
        """Mark a card stale; starts its refresh task unless one is already pending."""
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key), name=f"card-refresh-{key}")

    async def _run(self, key: CardKey) -> None:
        try:
            while key in self._dirty:
                await asyncio.sleep(self.interval)
                self._dirty.discard(key)
                try:
                    await self._refresh(key)
                except Exception:
                    log.exception("card refresh failed card=%s", key)
        finally:
            self._tasks.pop(key, None)

    async def flush(self) -> None:
        """Wait until every pending refresh has been applied (tests, clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._dirty.clear()
