"""What every platform environment shares: start a fake, a core configured for it and
the real adapter connected to it; stop them again in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.app import Core
from tests.harness.core import core_env, halt, serve
from tests.harness.waiting import TIMEOUT

E = TypeVar("E", bound="PlatformEnv")


@dataclass
class PlatformEnv:
    """A fake, the core and the served adapter; `owned` holds what `close()` shuts."""

    fake: Any
    core: Core
    adapter: Any
    task: asyncio.Task[None]
    owned: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    async def close(self) -> None:
        try:
            await halt(self.adapter, self.task)
        finally:
            await self.owned.aclose()


async def launch(
    tmp_path: Path,
    platform: str,
    fake: Any,
    new_fake: Callable[[], AbstractAsyncContextManager[Any]],
    section: Callable[[Any], Mapping[str, Any]],
    new_adapter: Callable[[Core], Any],
    *,
    timeout: float = TIMEOUT,
    **core_options: Any,
) -> tuple[Any, Core, Any, asyncio.Task[None], AsyncExitStack]:
    """Start `fake` (a new one unless given), a core whose `platform` settings section is
    `section(fake)`, and its adapter, ready; the parts, in `PlatformEnv` field order.

    `core_options` go to `core_env` (database_url, clock, prepare, other sections).
    """
    owned = AsyncExitStack()
    try:
        if fake is None:
            fake = await owned.enter_async_context(new_fake())
        sections: dict[str, Any] = {platform: dict(section(fake))}
        core = await owned.enter_async_context(core_env(tmp_path, **sections, **core_options))
        adapter = core.adapters[platform] = new_adapter(core)
        task = await serve(adapter, timeout)
    except BaseException:
        await owned.aclose()
        raise
    return fake, core, adapter, task, owned


@contextlib.asynccontextmanager
async def opened(starting: Awaitable[E]) -> AsyncIterator[E]:
    """A started environment as a context manager: closed on the way out."""
    env = await starting
    try:
        yield env
    finally:
        await env.close()
