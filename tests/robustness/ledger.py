"""Read back what a bot left in its database and check it against what it acknowledged.

The oracle is a pure function (`check`) over a snapshot (`DbState`) so a test can also
feed it a doctored snapshot and see it complain: a checker that cannot fail proves nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from handlers.audit.verify import verify
from storage import open_storage
from storage.records import dumps
from storage.schema import ballots, members, proposals
from tests.harness.process import Ack


@dataclass(frozen=True)
class Logged:
    """A `ballot.cast` audit entry."""

    seq: int
    proposal_id: int
    member_id: int
    receipt: str
    selection: str  # canonical JSON
    weight: float


@dataclass(frozen=True)
class Row:
    receipt: str
    selection: str
    weight: float


@dataclass
class DbState:
    member_names: dict[int, str] = field(default_factory=dict)  # member id → console name
    proposal_ids: dict[int, int] = field(default_factory=dict)  # number → id
    logged: list[Logged] = field(default_factory=list)
    rows: dict[tuple[int, int], Row] = field(default_factory=dict)  # (proposal, member)
    duplicate_keys: int = 0
    audit_problems: list[str] = field(default_factory=list)
    closed_entries: dict[int, int] = field(default_factory=dict)  # proposal id → entries
    results: dict[int, Any] = field(default_factory=dict)  # proposal id → stored result


async def read_state(database_url: str) -> DbState:
    storage = await open_storage(database_url)
    state = DbState()
    try:
        report = await verify(storage)
        state.audit_problems = list(report.problems)
        async for entry, _text in storage.audit.entries():
            payload = entry.payload
            if entry.kind == "ballot.cast":
                state.logged.append(
                    Logged(
                        entry.seq,
                        payload["proposal"],
                        payload["member"],
                        entry.hash,
                        dumps(payload["selection"]),
                        payload["weight"],
                    )
                )
            elif entry.kind == "proposal.closed":
                pid = payload["proposal"]
                state.closed_entries[pid] = state.closed_entries.get(pid, 0) + 1
        async with storage.db.read() as conn:
            for mid, user in await conn.execute(select(members.c.id, members.c.user_id)):
                state.member_names[mid] = user
            for pid, number, result in await conn.execute(
                select(proposals.c.id, proposals.c.number, proposals.c.result)
            ):
                state.proposal_ids[number] = pid
                if result is not None:
                    state.results[pid] = result
            for row in await conn.execute(select(ballots)):
                m = row._mapping
                state.rows[(m["proposal_id"], m["member_id"])] = Row(
                    m["receipt"], dumps(json.loads(m["selection"])), m["weight"]
                )
            grouped = (
                select(ballots.c.proposal_id, ballots.c.member_id)
                .group_by(ballots.c.proposal_id, ballots.c.member_id)
                .having(func.count() > 1)
            )
            state.duplicate_keys = len((await conn.execute(grouped)).all())
    finally:
        await storage.close()
    return state


def check(acks: list[Ack], state: DbState) -> list[str]:
    """Every problem found; empty when the database keeps every acknowledged vote.

    `acks` is one process's acknowledgements in the order it printed them (with several
    processes, check each one's list: their relative order is unknown).
    """
    problems: list[str] = list(state.audit_problems)
    if state.duplicate_keys:
        problems.append(f"{state.duplicate_keys} (proposal, member) pairs have two ballots")
    by_receipt = {entry.receipt: entry for entry in state.logged}
    last: dict[tuple[int, int], Logged] = {}
    for entry in state.logged:  # in chain order: the last one per member counts
        last[(entry.proposal_id, entry.member_id)] = entry
    for ack in acks:
        entry = by_receipt.get(ack.receipt)
        if entry is None:
            problems.append(f"acknowledged {ack} is not in the audit log")
            continue
        voter = state.member_names.get(entry.member_id)
        if voter != ack.member or state.proposal_ids.get(ack.proposal) != entry.proposal_id:
            problems.append(f"receipt of {ack} belongs to {voter} on proposal {entry.proposal_id}")
            continue
        key = (entry.proposal_id, entry.member_id)
        row = state.rows.get(key)
        if row is None:
            problems.append(f"acknowledged {ack} has no ballot row")
        elif row.receipt != ack.receipt:
            later = by_receipt.get(row.receipt)
            if (
                later is None
                or later.seq <= entry.seq
                or (later.proposal_id, later.member_id) != key
            ):
                problems.append(f"acknowledged {ack} was replaced by an unlogged or older ballot")
    seqs: dict[tuple[str, int], int] = {}
    for ack in acks:  # one member's acknowledged ballots are logged in acknowledgement order
        entry = by_receipt.get(ack.receipt)
        if entry is None:
            continue
        key2 = (ack.member, ack.proposal)
        if seqs.get(key2, 0) >= entry.seq:
            problems.append(f"{ack} is logged before an earlier acknowledged ballot")
        seqs[key2] = entry.seq
    if set(state.rows) != set(last):
        problems.append(
            f"ballot rows {sorted(state.rows)} differ from logged voters {sorted(last)}"
        )
    for key, entry in last.items():
        row = state.rows.get(key)
        if row is not None and row != Row(entry.receipt, entry.selection, entry.weight):
            problems.append(f"ballot row {key} is not the last logged ballot of that member")
    return problems
