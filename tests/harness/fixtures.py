"""The harness as pytest fixtures (registered for the whole suite by tests/conftest.py).

* `restore_logging` — a list to append `configure_logging(...)` results to; after the
  test they are uninstalled and the root logger is as it was.
* `tg_fake` — the fake Telegram Bot API with the standard chats and members.
* `tg` — a `TelegramEnv` on `tg_fake`: core on a SQLite file, adapter ready.
* `dc` — a `DiscordEnv`: its own fake Discord, core on a SQLite file, client ready.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.logging_setup import LoggingSetup
from tests.harness.discord_env import DiscordEnv, discord_env
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.logs import logging_restored
from tests.harness.telegram_env import TelegramEnv, telegram_env, telegram_fake


@pytest.fixture
def restore_logging() -> Iterator[list[LoggingSetup]]:
    with logging_restored() as installed:
        yield installed


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegramAPI]:
    async with telegram_fake() as fake:
        yield fake


@pytest.fixture
async def tg(tmp_path: Path, tg_fake: FakeTelegramAPI) -> AsyncIterator[TelegramEnv]:
    async with telegram_env(tmp_path, tg_fake) as env:
        yield env


@pytest.fixture
async def dc(tmp_path: Path) -> AsyncIterator[DiscordEnv]:
    async with discord_env(tmp_path) as env:
        yield env
