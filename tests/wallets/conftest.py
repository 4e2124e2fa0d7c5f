"""A core with wallet rules on (votes need a linked wallet), and link helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_defunct

from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from tests.conftest import run_command


@pytest.fixture
async def wcore(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        voting={"require_wallet": True},
        console={"require_wallet": True},  # the console is exempt unless told otherwise
        wallets={
            "domain": "govbot.test",
            "uri": "https://govbot.test/link",
            "chain_id": 1337,
            "relink_cooldown_minutes": 60,
            "confirmations": 2,
        },
    )
    built = await build_core(settings, clock=clock)
    try:
        yield built
    finally:
        await built.close()


async def issued_message(core: Core, user: str, address: str) -> str:
    """/link as `user`; returns the exact message text the bot issued."""
    replies = await run_command(core, user, f"/link {address}")
    assert replies[0].private, replies[0].text
    nonce = replies[0].meta["nonce"]
    record = await core.storage.nonces.nonce(nonce)
    assert record is not None
    assert record.message in replies[0].text  # the reply shows exactly what is stored
    return record.message


def sign(account: Any, text: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=text)).signature.hex()


async def link_wallet(core: Core, user: str, account: Any) -> list[Any]:
    text = await issued_message(core, user, account.address)
    return await run_command(core, user, f"/verify {sign(account, text)}")


async def counts(core: Core) -> tuple[int, int, int]:
    """(wallet links, nonces, audit entries): a refusal must leave all three unchanged."""
    wallets = core.storage.wallets
    return (
        await wallets.count_links(),
        await core.storage.nonces.count_nonces(),
        await core.storage.audit.count(),
    )
