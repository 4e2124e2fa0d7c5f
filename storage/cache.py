"""A short-lived per-process cache that reloads busy entries before they expire.

Wallet links and delegations are read on every vote and change rarely, so each process
keeps them for a couple of seconds (which bounds how stale another process's change can
look). The entries of a burst's voters are loaded within moments of each other, so they
used to expire together, and every vote then waited for one reload — the vote path's
p99. Here an entry older than `ahead` of its lifetime is still served, and reloaded in
the background together with the other entries due (one call of `load`); only an entry
nobody asked for during that time expires, and the next ask waits for it. Misses are
loaded in batches too (concurrent misses share one call).

A local write calls `forget(key)`; a background reload that began before any `forget`
is dropped, so it never puts back what the write replaced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from storage.group_commit import GroupCommitter

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

GATHER_SECONDS = 0.2  # how long due entries are gathered before one reload


class AheadCache(Generic[K, V]):
    def __init__(
        self,
        load: Callable[[list[K]], Awaitable[list[V]]],
        *,
        ttl: float,
        ahead: float = 0.5,
        gather: float = GATHER_SECONDS,
        max_batch: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.ttl = ttl
        self.ahead = ttl * ahead
        self.gather = gather
        self._clock = clock
        self._entries: dict[K, tuple[V, float]] = {}
        self.misses: GroupCommitter[K, V] = GroupCommitter(load, max_batch=max_batch)
        self._due: set[K] = set()
        self._reloading: set[K] = set()
        self._reloader: asyncio.Task[None] | None = None
        self._forgets = 0
        self.reloads = 0

    async def get(self, key: K, *, fresh: bool = False) -> V:
        now = self._clock()
        cached = self._entries.get(key)
        if not fresh and cached is not None and now - cached[1] < self.ttl:
            if now - cached[1] >= self.ahead and key not in self._reloading:
                self._due.add(key)
                if self._reloader is None or self._reloader.done():
                    self._reloader = asyncio.create_task(self._reload(), name="cache-reload")
            return cached[0]
        forgets = self._forgets
        value = await self.misses.submit(key)
        if forgets == self._forgets:
            self._entries[key] = (value, now)
        return value

    def forget(self, key: K) -> None:
        """A local write changed this entry: the next ask loads it again."""
        self._forgets += 1
        self._entries.pop(key, None)

    async def _reload(self) -> None:
        await asyncio.sleep(self.gather)  # entries fall due one by one: gather them
        while self._due:
            keys, self._due = list(self._due), set()
            self._reloading.update(keys)
            started, forgets = self._clock(), self._forgets
            try:
                values = await self._load(keys)
            except Exception as error:  # the next ask past the expiry loads in the open
                log.debug("cache reload failed: %s", type(error).__name__)
                return
            finally:
                self._reloading.difference_update(keys)
            self.reloads += 1
            if forgets != self._forgets:
                continue  # a local write happened meanwhile: keep its view
            for key, value in zip(keys, values, strict=True):
                self._entries[key] = (value, started)

    async def close(self) -> None:
        if self._reloader is not None and not self._reloader.done():
            self._reloader.cancel()
            await asyncio.gather(self._reloader, return_exceptions=True)
