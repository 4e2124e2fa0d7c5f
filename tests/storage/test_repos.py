"""The repository suite, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import Storage, open_storage, schema
from storage.migrations import LATEST, migrate
from storage.records import BallotRecord, ProposalRecord
from storage.repos.audit import GENESIS
from storage.repos.ballots import CastRequest
from storage.repos.proposals import NewProposal

NOW = 1_800_000_000.0


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url)
    try:
        yield opened
    finally:
        await opened.close()


async def _count(storage: Storage, table: Any) -> int:
    async with storage.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)))


async def _setup(storage: Storage, voters: int = 3) -> tuple[int, list[int]]:
    community = await storage.communities.ensure("console:console", "console")
    members = [
        (await storage.members.ensure(community.id, "console", f"m{i}", f"m{i}", now=NOW)).id
        for i in range(voters)
    ]
    return community.id, members


def _new(community_id: int, author: int, title: str = "Lunch", hours: float = 1.0) -> NewProposal:
    return NewProposal(
        community_id=community_id,
        title=title,
        body="",
        choices=("pizza", "sushi"),
        method="single",
        strategy="member",
        snapshot=None,
        quorum=None,
        threshold=None,
        hidden=False,
        profile=None,
        author_id=author,
        created_at=NOW,
        ends_at=NOW + hours * 3600,
        eligible_power=3.0,
    )


def _cast(proposal: ProposalRecord, member: int, choice: int, at: float = NOW + 1) -> CastRequest:
    return CastRequest(
        proposal_id=proposal.id,
        community_id=proposal.community_id,
        member_id=member,
        selection=[choice],
        weight=1.0,
        breakdown={"member": 1.0},
        at=at,
    )


async def _decide(proposal: ProposalRecord, ballots: list[BallotRecord]) -> dict[str, Any]:
    return {"outcome": "counted", "ballots": len(ballots)}


async def test_migrations_are_idempotent(database_url: str) -> None:
    first = await open_storage(database_url)
    try:
        community = await first.communities.ensure("k", "name")
        assert await migrate(first.db) == []  # nothing pending on an up-to-date schema
    finally:
        await first.close()
    second = await open_storage(database_url)  # a restart: migrations again, data kept
    try:
        async with second.db.read() as conn:
            versions = set((await conn.execute(select(schema.schema_version.c.version))).scalars())
        assert LATEST in versions
        assert versions == set(range(1, LATEST + 1))
        assert (await second.communities.ensure("k", "name")).id == community.id
        assert await _count(second, schema.communities) == 1
    finally:
        await second.close()


async def test_community_and_member_ensure_are_idempotent(storage: Storage) -> None:
    a = await storage.communities.ensure("console:console", "console")
    b = await storage.communities.ensure("console:console", "console")
    assert a.id == b.id
    assert await _count(storage, schema.communities) == 1
    mapped = await storage.communities.map_space("console", "console", a.id)
    assert mapped == a.id
    assert await storage.communities.map_space("console", "console", a.id) == a.id
    assert await storage.communities.find_space("console", "console") == a.id
    assert await storage.communities.find_space("console", "elsewhere") is None

    m1 = await storage.members.ensure(a.id, "console", "alice", "alice", now=NOW)
    storage.members._cache.clear()  # the database, not the cache, must make it unique
    m2 = await storage.members.ensure(a.id, "console", "alice", "alice", now=NOW)
    assert m1 == m2
    other = await storage.members.ensure(a.id, "telegram", "alice", "alice", now=NOW)
    assert other.id != m1.id
    assert await storage.members.count(a.id) == 2
    assert await _count(storage, schema.members) == 2


async def test_concurrent_member_ensure_makes_one_row(storage: Storage) -> None:
    community = await storage.communities.ensure("c", "c")
    storage.members._cache.clear()
    found = await asyncio.gather(
        *(storage.members.ensure(community.id, "console", "bob", "bob", now=NOW) for _ in range(5))
    )
    assert len({m.id for m in found}) == 1
    assert await storage.members.count(community.id) == 1


async def test_proposal_numbers_count_per_community(storage: Storage) -> None:
    one, [author1] = await _setup(storage, 1)
    two = (await storage.communities.ensure("telegram:-100", "other")).id
    author2 = (await storage.members.ensure(two, "telegram", "7", "x", now=NOW)).id
    numbers = [
        (await storage.proposals.create(_new(one, author1, f"p{i}"))).number for i in range(3)
    ]
    assert numbers == [1, 2, 3]
    assert (await storage.proposals.create(_new(two, author2))).number == 1
    assert (await storage.proposals.create(_new(one, author1))).number == 4
    fetched = await storage.proposals.get(one, 2)
    assert fetched is not None and fetched.title == "p1" and fetched.choices == ("pizza", "sushi")
    assert await storage.proposals.get(one, 99) is None
    assert [p.number for p in await storage.proposals.in_community(one)] == [4, 3, 2, 1]


async def test_ballot_upsert_last_one_counts(storage: Storage) -> None:
    community, [author, bob, carol] = await _setup(storage)
    proposal = await storage.proposals.create(_new(community, author))
    first = await storage.ballots.cast(_cast(proposal, bob, 0))
    assert first.refused is None and not first.replaced and first.receipt
    second = await storage.ballots.cast(_cast(proposal, bob, 1, at=NOW + 2))
    assert second.refused is None and second.replaced and second.receipt != first.receipt
    await storage.ballots.cast(_cast(proposal, carol, 0))
    assert await storage.ballots.count(proposal.id) == 2
    stored = await storage.ballots.get(proposal.id, bob)
    assert stored is not None
    assert stored.selection == [1] and stored.receipt == second.receipt
    assert stored.cast_at == NOW + 2 and stored.breakdown == {"member": 1.0}
    # every ballot, replaced or not, is in the audit log; the receipt is its entry hash
    kinds = [e.kind async for e, _ in storage.audit.entries()]
    assert kinds.count("ballot.cast") == 3


async def test_batch_with_repeats_keeps_the_last_and_flags_replacements(storage: Storage) -> None:
    community, [author, bob, _] = await _setup(storage)
    proposal = await storage.proposals.create(_new(community, author))
    outcomes = await storage.ballots.cast_many(
        [_cast(proposal, bob, 0), _cast(proposal, bob, 1), _cast(proposal, bob, 0)]
    )
    assert [o.replaced for o in outcomes] == [False, True, True]
    stored = await storage.ballots.get(proposal.id, bob)
    assert stored is not None and stored.selection == [0]
    assert stored.receipt == outcomes[-1].receipt


@pytest.mark.parametrize("how", ["closed", "cancelled", "ended", "missing"])
async def test_cast_refused_unless_open_and_running(storage: Storage, how: str) -> None:
    community, [author, bob, _] = await _setup(storage)
    proposal = await storage.proposals.create(_new(community, author))
    at = NOW + 1
    if how == "closed":
        assert await storage.proposals.close(proposal.id, _decide, at=NOW + 1, by=author)
    elif how == "cancelled":
        assert await storage.proposals.cancel(proposal.id, at=NOW + 1, by=author)
    elif how == "ended":
        at = proposal.ends_at  # the end time itself is already too late
    before = await storage.audit.count()
    request = _cast(proposal, bob, 0, at=at)
    if how == "missing":
        request = dataclasses.replace(request, proposal_id=proposal.id + 1000)
    outcome = await storage.ballots.cast(request)
    assert outcome.refused == how and outcome.receipt is None
    assert await storage.ballots.count(proposal.id) == 0
    assert await storage.audit.count() == before


async def test_audit_chain_links(storage: Storage) -> None:
    community, [author, bob, carol] = await _setup(storage)
    proposal = await storage.proposals.create(_new(community, author))
    await storage.ballots.cast(_cast(proposal, bob, 0))
    await storage.ballots.cast(_cast(proposal, carol, 1))
    await storage.proposals.close(proposal.id, _decide, at=NOW + 5, by=author)
    entries = [entry async for entry, _ in storage.audit.entries(batch=2)]  # paged reads
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert [e.kind for e in entries] == [
        "proposal.opened",
        "ballot.cast",
        "ballot.cast",
        "proposal.closed",
    ]
    assert entries[0].prev_hash == GENESIS
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    assert len({e.hash for e in entries}) == len(entries)
    assert await storage.audit.count() == len(entries)
    closed = await storage.proposals.by_id(proposal.id)
    assert closed is not None and closed.result_hash == entries[-1].hash


async def test_close_exactly_once(storage: Storage) -> None:
    community, [author, bob, _] = await _setup(storage)
    proposal = await storage.proposals.create(_new(community, author))
    await storage.ballots.cast(_cast(proposal, bob, 0))
    closed = await storage.proposals.close(proposal.id, _decide, at=NOW + 10, by=None)
    assert closed is not None
    assert closed.status == "closed" and closed.closed_at == NOW + 10
    assert closed.result == {"outcome": "counted", "ballots": 1}
    assert await storage.proposals.close(proposal.id, _decide, at=NOW + 11, by=None) is None
    assert await storage.proposals.cancel(proposal.id, at=NOW + 12, by=author) is None
    assert [p.id for p in await storage.proposals.all_closed()] == [proposal.id]
    async with storage.db.read() as conn:
        closings = await conn.scalar(
            select(func.count())
            .select_from(schema.audit_log)
            .where(schema.audit_log.c.kind == "proposal.closed")
        )
    assert closings == 1


async def test_concurrent_closes_close_once(storage: Storage) -> None:
    community, [author] = await _setup(storage, 1)
    proposal = await storage.proposals.create(_new(community, author))
    results = await asyncio.gather(
        *(storage.proposals.close(proposal.id, _decide, at=NOW + 10, by=None) for _ in range(8))
    )
    assert sum(r is not None for r in results) == 1


async def test_due_and_unannounced(storage: Storage) -> None:
    community, [author] = await _setup(storage, 1)
    short = await storage.proposals.create(_new(community, author, "short", hours=1))
    await storage.proposals.create(_new(community, author, "long", hours=10))
    assert await storage.proposals.due(NOW) == []
    assert [p.id for p in await storage.proposals.due(NOW + 3600)] == [short.id]
    await storage.proposals.close(short.id, _decide, at=NOW + 3600, by=None)
    assert await storage.proposals.due(NOW + 3600) == []
    assert [p.id for p in await storage.proposals.unannounced()] == [short.id]


async def test_claim_announcement_once(storage: Storage) -> None:
    community, [author] = await _setup(storage, 1)
    proposal = await storage.proposals.create(_new(community, author))
    await storage.proposals.close(proposal.id, _decide, at=NOW + 1, by=None)
    claims = await asyncio.gather(
        *(storage.proposals.claim_announcement(proposal.id) for _ in range(5))
    )
    assert claims.count(True) == 1
    assert await storage.proposals.claim_announcement(proposal.id) is False
    assert await storage.proposals.unannounced() == []


async def test_group_commit_batches_concurrent_casts(storage: Storage) -> None:
    community = (await storage.communities.ensure("c", "c")).id
    members = [
        (await storage.members.ensure(community, "console", f"v{i}", f"v{i}", now=NOW)).id
        for i in range(200)
    ]
    proposal = await storage.proposals.create(_new(community, members[0]))
    before = storage.ballots._committer.batches
    outcomes = await asyncio.gather(
        *(storage.ballots.cast(_cast(proposal, m, i % 2)) for i, m in enumerate(members))
    )
    batches = storage.ballots._committer.batches - before
    assert all(o.refused is None for o in outcomes)
    assert len({o.receipt for o in outcomes}) == len(members)
    assert batches < len(members) // 10, f"{batches} transactions for {len(members)} casts"
    assert await storage.ballots.count(proposal.id) == len(members)


async def test_set_body_and_cards(storage: Storage) -> None:
    community, [author] = await _setup(storage, 1)
    proposal = await storage.proposals.create(_new(community, author))
    await storage.proposals.set_body(proposal.id, "why ☕", by=author, at=NOW + 1)
    described = await storage.proposals.by_id(proposal.id)
    assert described is not None and described.body == "why ☕"
    await storage.cards.remember("proposal", community, proposal.id, "console", "main", "3")
    await storage.cards.remember("proposal", community, proposal.id, "console", "main", "9")
    await storage.cards.remember("proposal", community, proposal.id, "telegram", "-1", "4")
    assert sorted(await storage.cards.find("proposal", community, proposal.id)) == [
        ("console", "main", "9"),
        ("telegram", "-1", "4"),
    ]


async def test_member_placeholder_name_is_replaced_by_the_real_one(database_url: str) -> None:
    """A member first seen as a message author (name = id) gets their name when it arrives."""
    storage = await open_storage(database_url)
    try:
        community = await storage.communities.ensure("k", "K")
        first = await storage.members.ensure(community.id, "discord", "42", "42")
        named = await storage.members.ensure(community.id, "discord", "42", "alice")
        assert named.id == first.id and named.display_name == "alice"
        again = await storage.members.ensure(community.id, "discord", "42", "alice-renamed")
        assert again.display_name == "alice"  # a real name is not replaced by every nickname
        found = await storage.members.find_by_name(community.id, "alice")
        assert found is not None and found.id == first.id
    finally:
        await storage.close()
