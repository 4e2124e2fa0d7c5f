"""Run the real Telegram and Discord adapters against the local fakes, with settings.

The adapter suites (tests/adapters/) build their cores with platform settings only; the
arena and reputation end-to-end tests need their own sections too (`arena={...}`,
`reputation={...}`), so this module starts both adapters the same way with any
settings overrides. Waits poll with timeouts; nothing asserts wall-clock time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter

from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.ports import Clock
from tests.fakes.discord_gateway import Call as DiscordCall
from tests.fakes.discord_gateway import FakeDiscord
from tests.fakes.telegram_api import Call as TelegramCall
from tests.fakes.telegram_api import FakeTelegramAPI

TIMEOUT = 10.0
TOKEN = "123:ABC"


async def until(condition: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time: {what}")
        await asyncio.sleep(0.02)


async def until_async(
    condition: Callable[[], Any], timeout: float = TIMEOUT, what: str = ""
) -> None:
    """Like `until`, for a coroutine condition (a database query)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time: {what}")
        await asyncio.sleep(0.02)


async def _core(
    tmp_path: Path, platform: dict[str, Any], overrides: dict[str, Any], clock: Clock | None
) -> Core:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        charts_dir=tmp_path / "charts",
        **platform,
        **overrides,
    )
    return await build_core(settings, clock=clock)


# ----- Telegram -------------------------------------------------------------------------
@dataclass
class Telegram:
    fake: FakeTelegramAPI
    core: Core
    adapter: TelegramAdapter

    async def say(self, chat: int, user: int, text: str, **extra: Any) -> TelegramCall:
        """Send `text` and return the one new message that answers it."""
        before = len(self.fake.sent())
        self.fake.send_text(chat, user, text, **extra)
        await until(lambda: len(self.fake.sent()) > before, what=f"an answer to {text!r}")
        return self.fake.sent()[before]


@contextlib.asynccontextmanager
async def telegram(
    tmp_path: Path, fake: FakeTelegramAPI, *, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Telegram]:
    """The core as `govbot run` builds it and the real Application polling the fake."""
    core = await _core(
        tmp_path, {"telegram": {"token": TOKEN, "api_base_url": fake.base_url}}, overrides, clock
    )
    adapter = TelegramAdapter(
        core,
        edit_interval=0,
        rate_limiter=AIORateLimiter(overall_max_rate=1000, group_max_rate=1000, max_retries=2),
        poll_timeout=2,
    )
    core.adapters["telegram"] = adapter
    task = asyncio.create_task(adapter.run())
    try:
        ready = asyncio.create_task(adapter.ready())
        await asyncio.wait({task, ready}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises the start-up error
        assert ready.done(), "the Telegram adapter did not start"
        yield Telegram(fake, core, adapter)
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, TIMEOUT)
        await core.close()


# ----- Discord --------------------------------------------------------------------------
@dataclass
class Discord:
    fake: FakeDiscord
    core: Core
    adapter: DiscordAdapter

    async def command(self, name: str, user: Any, **options: Any) -> tuple[str, DiscordCall]:
        """Send a slash command; return its token and the PATCH that answered it."""
        payload = self.fake.slash(name, user, options)
        await self.fake.send_interaction(payload)
        await self.fake.wait_callback(payload["id"], timeout=TIMEOUT)
        token = payload["token"]
        [answer, *_] = await self.fake.wait_for(
            "PATCH", rf"/webhooks/{self.fake.app_id}/{token}/messages/@original", timeout=TIMEOUT
        )
        return token, answer

    async def followups(self, token: str, count: int = 1) -> list[DiscordCall]:
        return await self.fake.wait_for(
            "POST", rf"/webhooks/{self.fake.app_id}/{token}", count=count, timeout=TIMEOUT
        )


@contextlib.asynccontextmanager
async def discord(
    tmp_path: Path, *, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Discord]:
    """The real discord.py client on the fake's gateway and REST API."""
    fake = await FakeDiscord().start()
    core = await _core(
        tmp_path,
        {
            "discord": {
                "token": "x",
                "api_base_url": fake.api_base_url,
                "gateway_url": fake.gateway_url,
                "guild_ids": [fake.guild_id],
            }
        },
        overrides,
        clock,
    )
    adapter = DiscordAdapter(
        core, refresh_interval=0.02, client_options={"guild_ready_timeout": 0.05}
    )
    core.adapters["discord"] = adapter
    task = asyncio.create_task(adapter.run())
    try:
        ready = asyncio.create_task(adapter.ready())
        await asyncio.wait([task, ready], timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # surface the start-up error
        assert adapter.connected, "the Discord client did not become ready"
        yield Discord(fake, core, adapter)
    finally:
        with contextlib.suppress(Exception):
            await adapter.stop()
            await asyncio.wait_for(task, TIMEOUT)
        await core.close()
        await fake.stop()


def discord_text(call: DiscordCall) -> str:
    """Content plus embed descriptions of a REST call's body, markdown escapes dropped."""
    body = call.json or {}
    embeds = body.get("embeds") or []
    text = (body.get("content") or "") + "".join(e.get("description") or "" for e in embeds)
    return text.replace("\\", "")


def discord_buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in body.get("components") or [] for c in row["components"]]
