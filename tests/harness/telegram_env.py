"""A core with the real python-telegram-bot Application polling the local fake Bot API.

`telegram_env(tmp_path)` is the core as `govbot run` builds it with TELEGRAM_TOKEN set
and the TelegramAdapter connected to `FakeTelegramAPI`, ready to be talked to; tests
send updates through `env.fake` and assert on the Bot API calls it recorded. Sync
tests that run their own event loop use `start_telegram()` / `env.close()` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter

from bot.adapters.telegram import TelegramAdapter
from bot.app import Core
from tests.harness.fakes.telegram_api import Call, FakeTelegramAPI
from tests.harness.platform import PlatformEnv, launch, opened
from tests.harness.waiting import TIMEOUT

TOKEN = "123:ABC"
GROUP = -1001
FORUM = -1002
ALICE, BOB, CAROL, DAVE = 11, 22, 33, 44
PEOPLE: Mapping[int, tuple[str, str]] = {
    ALICE: ("Alice", "alice"),
    BOB: ("Bob", "bob"),
    CAROL: ("Carol", "carol"),
    DAVE: ("Dave", "dave"),
}


@contextlib.asynccontextmanager
async def telegram_fake(token: str = TOKEN) -> AsyncIterator[FakeTelegramAPI]:
    """The fake Bot API with a plain group, a forum group and four members in it."""
    async with FakeTelegramAPI(token=token) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        fake.add_chat(FORUM, "supergroup", "Builders forum", is_forum=True)
        for user, (name, username) in PEOPLE.items():
            fake.add_user(user, name, username)
        yield fake


def telegram_settings(fake: FakeTelegramAPI, **extra: Any) -> dict[str, Any]:
    """The `telegram` settings section pointing at `fake`."""
    return {"token": TOKEN, "api_base_url": fake.base_url, **extra}


def telegram_adapter(core: Core) -> TelegramAdapter:
    """The adapter tuned for tests: cards edited at once, no throttling, short polls."""
    return TelegramAdapter(
        core,
        edit_interval=0,
        rate_limiter=AIORateLimiter(overall_max_rate=1000, group_max_rate=1000, max_retries=2),
        poll_timeout=2,
    )


def text_of(call: Call) -> str:
    """What a sendMessage or sendPhoto call shows."""
    return str(call.params.get("text") or call.params.get("caption") or "")


async def wait_sent(fake: FakeTelegramAPI, total: int, timeout: float = TIMEOUT) -> list[Call]:
    """Wait until `total` messages were sent anywhere; all of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(fake.sent()) < total:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"expected {total} messages, got {[text_of(c) for c in fake.sent()]}"
            )
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # let a wrong extra message show up too
    return fake.sent()


@dataclass
class TelegramEnv(PlatformEnv):
    fake: FakeTelegramAPI
    adapter: TelegramAdapter

    async def wait_sent(self, total: int, timeout: float = TIMEOUT) -> list[Call]:
        return await wait_sent(self.fake, total, timeout)

    async def command(
        self, chat: int, user: int, text: str, *, count: int = 1, **extra: Any
    ) -> list[Call]:
        """Send `text` and wait for `count` new messages (sendMessage/sendPhoto) anywhere."""
        before = len(self.fake.sent())
        self.fake.send_text(chat, user, text, **extra)
        return (await self.wait_sent(before + count))[before:]

    async def say(self, chat: int, user: int, text: str, **extra: Any) -> Call:
        """Send `text`; the first new message, the one that answers it."""
        return (await self.command(chat, user, text, **extra))[0]

    async def propose(self, chat: int, user: int, text: str) -> Call:
        """Open a proposal; the card's sendMessage call."""
        return await self.say(chat, user, f"/propose {text}")


async def start_telegram(
    tmp_path: Path,
    fake: FakeTelegramAPI | None = None,
    *,
    telegram: Mapping[str, Any] | None = None,
    **core_options: Any,
) -> TelegramEnv:
    """Start the fake (unless given), the core and the adapter; `close()` undoes it all.

    `telegram` adds to the settings section (webhook mode, …); `core_options` go to
    `core_env`: `database_url`, `clock`, `prepare` (edits the core before the adapter
    starts) and other settings sections (`arena={...}`).
    """
    parts = await launch(
        tmp_path,
        "telegram",
        fake,
        telegram_fake,
        lambda fake: telegram_settings(fake, **(telegram or {})),
        telegram_adapter,
        **core_options,
    )
    return TelegramEnv(*parts)


def telegram_env(
    tmp_path: Path, fake: FakeTelegramAPI | None = None, **options: Any
) -> AbstractAsyncContextManager[TelegramEnv]:
    """`start_telegram` as a context manager (same options)."""
    return opened(start_telegram(tmp_path, fake, **options))
