"""A core whose one community lives on Discord and Telegram, on both database engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core
from handlers.core.ports import ManualClock
from tests.communities.helpers import MAPPING, WALLETS
from tests.harness.core import core_env


@pytest.fixture
async def xcore(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    async with core_env(
        tmp_path, database_url=database_url, clock=clock, communities=[MAPPING], wallets=WALLETS
    ) as built:
        yield built
