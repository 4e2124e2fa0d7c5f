"""Roles that follow rules on the console, with real balances from an in-process EVM:
granted when a wallet is linked, shown with the values by /roles, granted on the
periodic re-check once a balance moves, removed on unlink, untouched while the chain is
down, every change audited and re-checked by `govbot audit verify`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.core.types import Actor, Where
from storage.schema_roles import role_states
from tests.conftest import texts
from tests.reach.roles_helpers import link, recheck_job, run
from tests.wallets.chain import LocalChain, new_account

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

UNIT = 10**18
WHERE = Where("console", "console", "main")
ALICE, BOB = Actor("console", "alice", "alice"), Actor("console", "bob", "bob")


@pytest.fixture
async def chain_core(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[Core, LocalChain, str]]:
    chain = LocalChain()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    rule = f"linked and erc20:{token.address} >= 100"
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        wallets={"confirmations": 0},
        roles=[{"name": "holders", "rule": rule}],
    )
    core = await build_core(settings, clock=clock)
    core.deps.wallets.chain = chain.port()
    try:
        yield core, chain, token
    finally:
        await core.close()


async def test_roles_follow_links_and_balances(chain_core: tuple[Core, LocalChain, str]) -> None:
    core, chain, token = chain_core
    alice, bob = new_account(), new_account()
    chain.transact(token.functions.mint(alice.address, 150 * UNIT))
    chain.transact(token.functions.mint(bob.address, 50 * UNIT))

    linked = texts(await link(core, ALICE, WHERE, alice))
    assert "🎖 alice now holds the role" in linked and "holders" in linked
    assert "150, needs ≥ 100 ✓" in linked

    assert "🎖" not in texts(await link(core, BOB, WHERE, bob))
    shown = await run(core, BOB, WHERE, "/roles")
    assert shown[0].private and shown[0].meta["verdicts"] == {"holders": False}
    assert "wallet linked: yes" in shown[0].text and "50, needs ≥ 100 ✗" in shown[0].text

    chain.transact(token.functions.mint(bob.address, 60 * UNIT))  # balances move silently
    replies = await recheck_job(core).run(core.deps)
    assert [r.text.split(" now holds")[0] for r in replies] == ["🎖 bob"]
    assert await recheck_job(core).run(core.deps) == []  # nothing new to do the second time

    core.deps.wallets.chain = None  # no node: unknown, and nobody loses the role for it
    assert "unknown" in (await run(core, ALICE, WHERE, "/roles"))[0].text
    assert await recheck_job(core).run(core.deps) == []
    core.deps.wallets.chain = chain.port()

    unlinked = texts(await run(core, ALICE, WHERE, "/unlink"))
    assert "alice no longer holds the role" in unlinked and "wallet linked: no" in unlinked

    states = {s.member_id: s.state for s in await core.storage.roles.every()}
    assert sorted(states.values()) == ["granted", "revoked"]
    report = await verify(core.storage)
    assert report.ok, report.problems
    assert report.role_states_checked == 2

    async with core.storage.db.write() as conn:  # a row changed by hand is named
        await conn.execute(update(role_states).values(state="granted"))
    problems = (await verify(core.storage)).problems
    assert problems and "differs from the log" in problems[0]


async def test_roles_without_rules_say_so(core: Core) -> None:
    replies = await run(core, ALICE, WHERE, "/roles")
    assert "No roles follow rules here" in replies[0].text
    assert await core.storage.roles.count() == 0
