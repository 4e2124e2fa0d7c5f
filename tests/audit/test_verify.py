"""`govbot audit verify`: passes on an honest ledger, names the first thing altered."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Table, delete, select, update

from bot.__main__ import main
from bot.app import Core
from handlers.audit.verify import VerifyReport, verify
from handlers.core.ports import ManualClock
from storage import open_storage, schema
from storage.records import dumps
from storage.repos.audit import entry_hash
from tests.conftest import run_command
from tests.harness.core import core_env


async def play_session(core: Core) -> None:
    """Several proposals, votes (some replaced), closes and a cancel; ends with a close."""
    script = [
        ("alice", "/propose Lunch | pizza | sushi | tacos"),
        ("alice", "/propose Mascot | owl | fox | cat method=ranked quorum=20%"),
        ("bob", "/propose Budget | infra | docs method=weighted"),
        ("carol", "/propose Scrap it | a | b"),
        ("alice", "/describe 1 Friday's team lunch 🍕"),
        ("bob", "/vote 1 pizza"),
        ("carol", "/vote 1 sushi"),
        ("dave", "/vote 1 pizza"),
        ("carol", "/vote 1 pizza"),  # replaces her earlier ballot
        ("bob", "/vote 2 fox > owl"),
        ("carol", "/vote 2 cat > fox"),
        ("dave", "/vote 2 owl"),
        ("erin", "/vote 2 owl > cat"),
        ("alice", "/vote 3 infra=60, docs=40"),
        ("dave", "/vote 3 docs"),
        ("carol", "/cancel 4"),
        ("alice", "/close 1"),
        ("alice", "/close 2"),
        ("bob", "/close 3"),
    ]
    for user, line in script:
        replies = await run_command(core, user, line)
        assert replies and "error" not in replies[0].meta, (line, replies[0].text)


@pytest.fixture
async def session(core: Core) -> Core:
    await play_session(core)
    return core


async def _execute(core: Core, statement) -> None:  # type: ignore[no-untyped-def]
    async with core.storage.db.write() as conn:
        await conn.execute(statement)


async def _rewrite(
    core: Core, table: Table, column: str, key: object, **values: object
) -> VerifyReport:
    """Change one row behind the bot's back; what `verify` says about the ledger then."""
    await _execute(core, update(table).where(table.c[column] == key).values(**values))
    return await verify(core.storage)


async def _entries(core: Core):  # type: ignore[no-untyped-def]
    return [entry async for entry, _ in core.storage.audit.entries()]


async def test_verify_passes_on_an_honest_ledger(session: Core) -> None:
    report = await verify(session.storage)
    assert report.ok, report.problems
    entries = await _entries(session)
    assert report.entries == len(entries)
    kinds = [e.kind for e in entries]
    # every change is logged (other features may log more, e.g. contribution events)
    expected = {
        "proposal.opened": 4,
        "proposal.described": 1,
        "ballot.cast": 10,
        "proposal.cancelled": 1,
        "proposal.closed": 3,
    }
    assert {kind: kinds.count(kind) for kind in expected} == expected
    assert report.proposals_checked == 3


async def test_an_entry_timed_with_an_int_verifies(session: Core) -> None:
    # the column stores a float, so the hash must be of "1800000000.0", not "1800000000"
    await session.storage.communities.update_settings(
        1, {"voting": {"allow_unlinked": True}}, by=1, at=1_800_000_000
    )
    report = await verify(session.storage)
    assert report.ok, report.problems


async def test_altered_audit_payload_is_named(session: Core) -> None:
    entries = await _entries(session)
    target = next(e for e in entries if e.kind == "ballot.cast")
    forged = dict(target.payload, selection=[1])
    report = await _rewrite(session, schema.audit_log, "seq", target.seq, payload=dumps(forged))
    assert not report.ok
    assert report.problems == [
        f"audit entry {target.seq} (ballot.cast {target.subject}): "
        "its content does not match its hash (altered)"
    ]
    assert report.entries == target.seq - 1


async def test_altered_ballot_row_is_named(session: Core) -> None:
    lunch = await session.storage.proposals.get(1, 1)
    assert lunch is not None
    [victim, *_] = await session.storage.ballots.for_proposal(lunch.id)
    await _execute(
        session,
        update(schema.ballots)
        .where(
            schema.ballots.c.proposal_id == lunch.id,
            schema.ballots.c.member_id == victim.member_id,
        )
        .values(selection="[2]"),
    )
    report = await verify(session.storage)
    assert report.problems == [
        f"proposal #1 (community 1): the stored ballot of member {victim.member_id} "
        "differs from the audit log"
    ]


async def test_ballot_row_added_by_hand_is_named(session: Core) -> None:
    mascot = await session.storage.proposals.get(1, 2)
    assert mascot is not None
    await _execute(
        session,
        schema.ballots.insert().values(
            proposal_id=mascot.id,
            member_id=1,
            selection="[0]",
            weight=1.0,
            breakdown="{}",
            cast_at=0.0,
            receipt="0" * 64,
        ),
    )
    report = await verify(session.storage)
    assert report.problems == [
        "proposal #2 (community 1): the ballots table and the audit log list different voters"
    ]


async def test_altered_stored_result_is_named(session: Core) -> None:
    budget = await session.storage.proposals.get(1, 3)
    assert budget is not None and budget.result is not None
    forged = dict(budget.result, winner=0, outcome="passed")
    report = await _rewrite(session, schema.proposals, "id", budget.id, result=dumps(forged))
    assert report.problems == [
        "proposal #3 (community 1): the stored result differs from the audit log"
    ]


async def test_truncated_closing_entry_is_named(session: Core) -> None:
    """The log cut off at the last closing entry (it and anything after it deleted)."""
    entries = await _entries(session)
    last = [e for e in entries if e.kind == "proposal.closed"][-1]
    budget = await session.storage.proposals.get(1, 3)
    assert budget is not None and last.subject == f"proposal:{budget.id}"
    await _execute(session, delete(schema.audit_log).where(schema.audit_log.c.seq >= last.seq))
    report = await verify(session.storage)
    assert report.problems == [
        "proposal #3 (community 1) is closed but the audit log has no closing entry for it"
    ]


async def test_deleted_middle_entry_is_named(session: Core) -> None:
    entries = await _entries(session)
    await _execute(session, delete(schema.audit_log).where(schema.audit_log.c.seq == 5))
    report = await verify(session.storage)
    assert report.problems == [
        f"audit entry 6 ({entries[5].kind} {entries[5].subject}): expected entry 5; "
        "entries are missing"
    ]


async def test_rehashed_forgery_fails_the_recount(session: Core) -> None:
    """A forger who rewrites a logged ballot and re-hashes the whole chain after it keeps
    the chain intact, but the re-tally no longer matches the published result."""
    entries = await _entries(session)
    lunch = await session.storage.proposals.get(1, 1)
    assert lunch is not None
    ballots = [e for e in entries if e.kind == "ballot.cast" and e.payload["proposal"] == lunch.id]
    target = ballots[0]  # bob's pizza → tacos
    prev = target.prev_hash
    async with session.storage.db.write() as conn:
        for entry in entries[target.seq - 1 :]:
            payload = entry.payload
            if entry.seq == target.seq:
                payload = dict(payload, selection=[2])
            text = dumps(payload)
            digest = entry_hash(
                prev, entry.seq, entry.at, entry.community_id, entry.kind, entry.subject, text
            )
            await conn.execute(
                update(schema.audit_log)
                .where(schema.audit_log.c.seq == entry.seq)
                .values(payload=text, prev_hash=prev, hash=digest)
            )
            prev = digest
    report = await verify(session.storage)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.startswith("proposal #1 (community 1): re-tallying the logged ballots gives")
    assert "but the published result is" in problem


def _session_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"

    async def build() -> None:
        async with core_env(tmp_path, database_url=url, clock=ManualClock(1_800_000_000.0)) as core:
            await play_session(core)

    asyncio.run(build())
    return url


def test_cli_audit_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _session_db(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^audit OK: \d+ entries chained, 3 closed proposals re-tallied", out, re.M)

    async def tamper() -> int:
        """A ballot's weight inflated in the log by hand; returns the entry's seq."""
        storage = await open_storage(url)
        try:
            async with storage.db.write() as conn:
                row = (
                    await conn.execute(
                        select(schema.audit_log)
                        .where(schema.audit_log.c.kind == "ballot.cast")
                        .order_by(schema.audit_log.c.seq)
                        .limit(1)
                    )
                ).one()
                payload = json.loads(row.payload)
                payload["weight"] = 1000.0
                await conn.execute(
                    update(schema.audit_log)
                    .where(schema.audit_log.c.seq == row.seq)
                    .values(payload=dumps(payload))
                )
                return int(row.seq)
        finally:
            await storage.close()

    seq = asyncio.run(tamper())
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"audit FAILED after {seq - 1} good entries: audit entry {seq} (ballot.cast" in out
    assert "does not match its hash" in out
