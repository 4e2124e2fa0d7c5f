"""Reputation recompute runs in one process at a time (a lease row, for scale-out).

Two `Storage` objects on one database are two engines with their own connection pools,
as two bot processes have; each gets its own `ReputationService` (its own holder id and
per-process locks). Both background tasks wake on a stale snapshot at once: exactly one
recomputes. Without the lease both did (each read the snapshot as stale before either
saved). Both engines.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.reputation.service import LEASE_SECONDS, ReputationService
from storage import open_storage
from storage.repos.contributions import NewContribution
from storage.schema_contributions import rep_snapshots
from tests.conftest import run_command


async def _stale_ledger(core: Core, clock: ManualClock) -> int:
    """A community with a few credits and no snapshot yet; its id."""
    await run_command(core, "a", "/proposals")  # creates the community and member a
    ids = [(await core.storage.members.ensure(1, "console", n, n)).id for n in "abc"]
    for i, (giver, receiver) in enumerate([(0, 1), (1, 2), (2, 0), (0, 2)]):
        await core.storage.contributions.record(
            NewContribution(
                1,
                "reaction",
                ids[giver],
                ids[receiver],
                "console",
                "main",
                f"m{i}",
                "👍",
                1.0,
                clock.now(),
            )
        )
    return 1


async def _snapshots(core: Core) -> int:
    async with core.storage.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(rep_snapshots))).scalar())


async def test_two_processes_refresh_at_once_one_recomputes(
    core: Core, clock: ManualClock, database_url: str
) -> None:
    await _stale_ledger(core, clock)
    other = await open_storage(database_url)
    try:
        mine = ReputationService(core.storage, core.deps.reputation.policy, clock)
        theirs = ReputationService(other, core.deps.reputation.policy, clock)
        assert mine.holder != theirs.holder
        done = await asyncio.gather(mine.refresh_stale(), theirs.refresh_stale())
        assert sorted(done) == [0, 1]
        assert mine.recomputes + theirs.recomputes == 1
        assert await _snapshots(core) == 1
        # a new credit makes it stale again: again exactly one of them recomputes
        await core.storage.contributions.record(
            NewContribution(1, "reaction", 2, 1, "console", "main", "m9", "👍", 1.0, clock.now())
        )
        await asyncio.gather(theirs.refresh_stale(), mine.refresh_stale())
        assert mine.recomputes + theirs.recomputes == 2
        assert await core.storage.leases.holder("reputation:1") is None  # given back
    finally:
        await other.close()


async def test_lease_is_exclusive_until_released_or_lapsed(core: Core, clock: ManualClock) -> None:
    leases = core.storage.leases
    now = clock.now()
    assert await leases.acquire("job", "p1", now=now, ttl=60)
    assert not await leases.acquire("job", "p2", now=now + 59, ttl=60)
    assert await leases.acquire("job", "p1", now=now + 30, ttl=60)  # renewal by its holder
    await leases.release("job", "p2")  # not theirs to give back
    assert (await leases.holder("job") or ("", 0))[0] == "p1"
    assert await leases.acquire("job", "p2", now=now + 91, ttl=60)  # p1 died: it lapsed
    await leases.release("job", "p2")
    assert await leases.holder("job") is None


async def test_a_crashed_holder_blocks_recompute_only_until_its_lease_lapses(
    core: Core, clock: ManualClock
) -> None:
    await _stale_ledger(core, clock)
    service = ReputationService(core.storage, core.deps.reputation.policy, clock)
    assert await core.storage.leases.acquire(
        "reputation:1", "dead-process", now=clock.now(), ttl=LEASE_SECONDS
    )
    assert await service.refresh_stale() == 0 and await _snapshots(core) == 0
    clock.advance(LEASE_SECONDS + 1)
    assert await service.refresh_stale() == 1 and await _snapshots(core) == 1
