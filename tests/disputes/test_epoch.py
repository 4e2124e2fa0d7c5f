"""An epoch dispute: a gamed credit inside an epoch, the epoch closes, the credit's
dispute voids it, the epoch's dispute amends the allocation exactly as recomputing the
reputation as of the close without that credit gives; exports wait for the ruling, and
`audit verify` recomputes the amendment and catches tampered amounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import update

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.disputes.policy import DisputePolicy
from handlers.rewards.allocation import allocate_epoch
from handlers.rewards.amend import closing_payload
from handlers.rewards.export import ExportRefused, export
from storage.schema_rewards import rewards_allocations
from tests.conftest import run_command, texts
from tests.disputes.helpers import HOUR, community, jurors, later, ok, refused, vote
from tests.harness.core import core_env
from tests.rewards.conftest import REWARDS
from tests.rewards.helpers import link, member_id

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def rcore(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    async with core_env(tmp_path, database_url=database_url, clock=clock, rewards=REWARDS) as built:
        built.deps.disputes = DisputePolicy(jury_size=3, appeal_hours=0)
        yield built


async def _uphold(core: Core, clock: ManualClock, number: int) -> str:
    for name in await jurors(core, number):
        await vote(core, name, number, "uphold")
    return await later(core, clock, 48 * HOUR)


async def test_an_upheld_epoch_dispute_amends_the_allocation(
    rcore: Core, clock: ManualClock
) -> None:
    core = rcore
    await ok(core, "admin", "/epoch", admin=True)
    await community(core)
    await link(core, "bob", Account.create())
    gamed = (await ok(core, "ann", "/praise bob he fixed the build"))[0].meta["contribution"]
    clock.advance(HOUR)
    await refused(core, "cyd", "/dispute epoch:1 bob games it", "Epoch 1 is still open")
    await refused(core, "cyd", "/dispute epoch:9 bob games it", "no reward epoch 9")
    await ok(core, "admin", "/epoch close", admin=True)
    epoch = await core.storage.rewards.get(1, 1)
    assert epoch is not None
    closing = await closing_payload(core.deps, epoch)
    bob = f"m:{await member_id(core, 'bob')}"
    before = {k: int(r["amount"]) for k, r in closing["result"]["allocations"].items()}

    await ok(core, "cyd", f"/dispute credit:{gamed} ann and bob are one person")
    assert "voided by dispute d1" in await _uphold(core, clock, 1)
    await ok(core, "cyd", "/dispute epoch:1 it paid bob for a gamed credit")
    audit_before = await core.storage.audit.count()
    with pytest.raises(ExportRefused, match="disputed \\(d2"):
        await export(
            core.storage,
            core.deps.rewards.policy,
            community_id=1,
            number=1,
            fmt="csv",
            at=clock.now(),
        )
    assert await core.storage.audit.count() == audit_before
    final = await _uphold(core, clock, 2)
    assert "allocation is amended by dispute d2" in final, final

    # what recomputing the reputation as of the epoch's snapshots without the credit gives
    service = core.deps.reputation.service
    assert service is not None
    policy = service.policy_for(await core.storage.communities.get(1))
    inputs = dict(closing["inputs"])
    as_of: list[dict[int, float]] = []
    for snapshot in (epoch.start_snapshot, inputs["contributors"]["close_snapshot"]):
        info = await core.storage.reputation.get(snapshot or 0)
        if info is None:  # the epoch opened before anyone had a score
            as_of.append({})
            continue
        without = frozenset({gamed})
        as_of.append(await service.scores_as_of(1, policy, info.computed_at, without=without))
    start, end = as_of
    earned = {f"m:{m}": v - start.get(m, 0.0) for m, v in sorted(end.items())}
    expected = allocate_epoch(
        inputs
        | {
            "contributors": {
                "policy": "immediate",
                "earned": {k: g for k, g in earned.items() if g > 1e-9},
            }
        }
    )
    stored = {r.recipient: r.amount for r in await core.storage.rewards.allocations(epoch.id)}
    assert stored == {k: int(r["amount"]) for k, r in expected["allocations"].items()}
    assert stored[bob] < before[bob]  # the gamed praise no longer pays
    assert sum(stored.values()) + int(expected["unallocated"]) == int(closing["result"]["total"])
    nxt = await core.storage.rewards.get(1, 2)  # closed on schedule meanwhile
    if nxt is not None and nxt.status == "closed":
        carried = (await closing_payload(core.deps, nxt))["inputs"]["carry_in"]
        assert carried == closing["result"]["carry_out"]  # the carry-in is not changed
    payouts = texts(await run_command(core, "zed", "/payouts 1"))
    assert "Amended by dispute d2" in payouts
    report = await verify(core.storage)
    assert report.ok, report.problems

    text, lines = await export(
        core.storage, core.deps.rewards.policy, community_id=1, number=1, fmt="csv", at=clock.now()
    )
    assert [amount for _, amount, _ in lines] == [stored[bob]]
    assert f",{stored[bob]}," in text  # the file pays the amended amount
    await refused(core, "cyd", "/dispute epoch:1 again", "already exported")

    async with core.storage.db.write() as conn:
        await conn.execute(
            update(rewards_allocations)
            .where(rewards_allocations.c.recipient == bob)
            .values(amount=str(before[bob]))
        )
    broken = await verify(core.storage)
    assert not broken.ok
    assert any(f"{bob} is stored with {before[bob]}" in p for p in broken.problems), broken.problems
