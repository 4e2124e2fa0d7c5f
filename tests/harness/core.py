"""The Core as `govbot run` builds it, on a test database, and adapters running on it.

Everything here goes through public API only: `build_core`, the adapter protocol
(`run`, `ready`, `connected`, `stop`) and `Core.close`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.adapters.base import Adapter
from bot.app import Core, build_core
from bot.settings import Settings, load_settings
from handlers.core.ports import Clock
from tests.harness.waiting import TIMEOUT

Prepare = Callable[[Core], None]


def harness_settings(
    tmp_path: Path, *, database_url: str | None = None, **overrides: Any
) -> Settings:
    """Settings on `database_url` (default: a SQLite file in `tmp_path`), charts in tmp."""
    return load_settings(
        database_url=database_url or f"sqlite:///{tmp_path}/t.db",
        charts_dir=tmp_path / "charts",
        **overrides,
    )


@contextlib.asynccontextmanager
async def core_env(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
    prepare: Prepare | None = None,
    settings: Settings | None = None,
    **overrides: Any,
) -> AsyncIterator[Core]:
    """A built core, closed afterwards; `prepare` may change it before anything runs.

    `settings` (from `harness_settings`) replaces `database_url` and `overrides` when a
    test needs them before the core exists (to configure logging, say).
    """
    if settings is None:
        settings = harness_settings(tmp_path, database_url=database_url, **overrides)
    core = await build_core(settings, clock=clock)
    try:
        if prepare is not None:
            prepare(core)
        yield core
    finally:
        await core.close()


async def serve(adapter: Adapter, timeout: float = TIMEOUT) -> asyncio.Task[None]:
    """Run `adapter` in its own task, as `govbot run` does, and wait until it is ready.

    A start-up error (a refused token) is raised here; an adapter that neither fails
    nor gets ready within `timeout` fails the test.
    """
    task = asyncio.create_task(adapter.run())
    ready = asyncio.create_task(adapter.ready(timeout))
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # raises the start-up error
        raise AssertionError(f"the {adapter.platform} adapter stopped before it was ready")
    if not ready.result() or not adapter.connected:
        task.cancel()
        await asyncio.wait({task}, timeout=timeout)
        raise AssertionError(f"the {adapter.platform} adapter did not start within {timeout} s")
    return task


async def halt(adapter: Adapter, task: asyncio.Task[None], timeout: float = TIMEOUT) -> None:
    """Stop a served adapter and wait for its task (its errors surface here)."""
    await adapter.stop()
    await asyncio.wait_for(task, timeout)
