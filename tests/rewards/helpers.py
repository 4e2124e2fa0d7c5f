"""Helpers for the rewards tests: linking real wallets, credits, counting rows."""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_defunct
from sqlalchemy import func, select

from bot.app import Core
from storage.schema import audit_log
from storage.schema_contributions import contributions
from storage.schema_rewards import rewards_acknowledgements, rewards_allocations, rewards_epochs
from tests.conftest import run_command


async def link(core: Core, user: str, account: Any) -> None:
    """/link then /verify with a real EIP-4361 signature, as `user` on the console."""
    replies = await run_command(core, user, f"/link {account.address}")
    nonce = replies[0].meta.get("nonce")
    assert nonce, replies[0].text
    record = await core.storage.nonces.nonce(nonce)
    assert record is not None
    signature = account.sign_message(encode_defunct(text=record.message)).signature.hex()
    done = await run_command(core, user, f"/verify 0x{signature.removeprefix('0x')}")
    assert "linked" in done[0].text.lower(), done[0].text


async def rows(core: Core) -> dict[str, int]:
    """Row counts a refusal must leave unchanged."""
    tables = {
        "audit": audit_log,
        "contributions": contributions,
        "epochs": rewards_epochs,
        "allocations": rewards_allocations,
        "acknowledgements": rewards_acknowledgements,
    }
    found = {}
    async with core.storage.db.read() as conn:
        for name, table in tables.items():
            found[name] = int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return found


async def scores(core: Core, snapshot_id: int | None) -> dict[int, float]:
    if snapshot_id is None:
        return {}
    info = await core.storage.reputation.get(snapshot_id)
    assert info is not None
    return {
        r.member_id: r.score for r in await core.storage.reputation.top(snapshot_id, info.members)
    }


async def member_id(core: Core, name: str) -> int:
    found = await core.storage.members.find_by_name(1, name)
    assert found is not None, name
    return found.id
