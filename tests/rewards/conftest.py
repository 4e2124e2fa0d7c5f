"""A core with rewards on an ERC-20 (18 decimals) and helpers to fill an epoch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core
from handlers.core.ports import ManualClock
from tests.harness.core import core_env

TOKEN = "0x" + "7a" * 20
REWARDS: dict[str, Any] = {
    "token": TOKEN,
    "symbol": "RWD",
    "decimals": 18,
    "budget": "1000",
    "schedule": "weekly",
    "pools": {"contributors": "60", "raters": "15", "models": "25"},
    "safe_address": "0x" + "5a" * 20,
    "chain_id": 1337,
}


@pytest.fixture
async def rcore(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    async with core_env(tmp_path, database_url=database_url, clock=clock, rewards=REWARDS) as built:
        yield built
