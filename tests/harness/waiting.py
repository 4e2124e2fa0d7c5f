"""Waiting for something a background task or another process will do, with a deadline.

Tests never sleep blindly and never assert wall-clock time: they poll a condition and
fail with what they were waiting for once the deadline passes.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

TIMEOUT = 10.0


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str = "",
    *,
    timeout: float = TIMEOUT,
    every: float = 0.02,
) -> None:
    """Poll `condition` (plain or a coroutine, e.g. a database query) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        met = condition()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met in time: {what}")
        await asyncio.sleep(every)
