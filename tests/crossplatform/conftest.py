"""A core whose one community lives on Discord and Telegram, on both database engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from tests.crossplatform.helpers import MAPPING


@pytest.fixture
async def xcore(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        communities=[MAPPING],
        wallets={"domain": "govbot.test", "uri": "https://govbot.test/link", "chain_id": 1337},
    )
    built = await build_core(settings, clock=clock)
    try:
        yield built
    finally:
        await built.close()
