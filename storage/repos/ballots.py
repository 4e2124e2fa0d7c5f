"""Ballots: one per member per proposal, the last one counts, every one in the audit log.

Votes go through a group committer: a batch checks, inside its write transaction, that
each proposal is still open and not past its end, appends one audit entry per ballot
(the entry hash is the voter's receipt) and upserts the ballots. Closing a proposal takes
the same write lock, so no ballot can slip in after the tally.

A request may name the platform event it comes from (`delivery`, e.g. a Telegram update
that can be delivered again after a crash). Its outcome is recorded in the same
transaction; the same delivery cast again writes nothing and gets the stored outcome
back, so a redelivered `/vote` answers with its original receipt instead of voting twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.records import BallotRecord, dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.repos.deliveries import DeliveryRepo
from storage.schema import ballots, proposals


@dataclass(frozen=True, slots=True)
class CastRequest:
    proposal_id: int
    community_id: int
    member_id: int
    selection: list[Any]
    weight: float
    breakdown: dict[str, Any]
    at: float
    signature: str | None = None
    delivery: str | None = None  # the platform event's key (storage/schema_deliveries.py)


@dataclass(frozen=True, slots=True)
class CastOutcome:
    """`refused` is None when stored, else the proposal's state: closed, cancelled, ended."""

    receipt: str | None
    replaced: bool
    refused: str | None = None
    replayed: bool = False  # the same delivery was cast before: nothing was written now


def _record(row: Any) -> BallotRecord:
    m = row._mapping
    return BallotRecord(
        proposal_id=m["proposal_id"],
        member_id=m["member_id"],
        selection=json.loads(m["selection"]),
        weight=m["weight"],
        breakdown=json.loads(m["breakdown"]),
        cast_at=m["cast_at"],
        receipt=m["receipt"],
        signature=m["signature"],
    )


def _replay(replayed: dict[str, Any], index: dict[str, int], key: str) -> CastOutcome:
    """The stored outcome of the next request of this delivery (same order as first time)."""
    position = index.get(key, 0)
    index[key] = position + 1
    stored = replayed[key]
    receipt, replaced, refused = stored[position] if position < len(stored) else stored[-1]
    return CastOutcome(receipt, bool(replaced), refused, replayed=True)


def _keyed(
    requests: list[CastRequest], outcomes: list[CastOutcome], replayed: dict[str, Any]
) -> dict[str, list[list[Any]]]:
    """Each new delivery's outcomes, in request order, as stored in `deliveries.outcome`."""
    found: dict[str, list[list[Any]]] = {}
    for request, outcome in zip(requests, outcomes, strict=True):
        if request.delivery is not None and request.delivery not in replayed:
            found.setdefault(request.delivery, []).append(
                [outcome.receipt, outcome.replaced, outcome.refused]
            )
    return found


class BallotRepo:
    def __init__(
        self,
        db: Database,
        audit: AuditRepo,
        deliveries: DeliveryRepo | None = None,
        *,
        max_batch: int = 1000,
    ) -> None:
        self.db = db
        self.audit = audit
        self.deliveries = deliveries or DeliveryRepo(db)
        self._committer: GroupCommitter[CastRequest, CastOutcome] = GroupCommitter(
            self.cast_many, max_batch=max_batch
        )
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    async def cast(self, request: CastRequest) -> CastOutcome:
        """Store a ballot durably (group-committed); returns once it is committed."""
        return await self._committer.submit(request)

    async def drain(self) -> None:
        await self._committer.drain()

    async def cast_many(self, requests: list[CastRequest]) -> list[CastOutcome]:
        """Store a batch in one write transaction; requests for closed proposals are refused."""
        async with self.db.write() as conn:
            keys = {r.delivery for r in requests if r.delivery is not None}
            replayed = await self.deliveries.outcomes(conn, keys)
            states = await self._proposal_states(conn, {r.proposal_id for r in requests})
            existing = await self._existing(conn, requests)
            accepted: list[CastRequest] = []
            outcomes: list[CastOutcome | None] = []
            replay_index: dict[str, int] = {}
            for request in requests:
                status, ends_at = states.get(request.proposal_id, ("missing", 0.0))
                if request.delivery is not None and request.delivery in replayed:
                    outcomes.append(_replay(replayed, replay_index, request.delivery))
                elif status != "open":
                    outcomes.append(CastOutcome(None, False, status))
                elif request.at >= ends_at:
                    outcomes.append(CastOutcome(None, False, "ended"))
                else:
                    accepted.append(request)
                    outcomes.append(None)
            entries = await self.audit.append(
                conn,
                [
                    NewEntry(
                        kind="ballot.cast",
                        subject=f"proposal:{r.proposal_id}",
                        community_id=r.community_id,
                        at=r.at,
                        payload={
                            "proposal": r.proposal_id,
                            "member": r.member_id,
                            "selection": r.selection,
                            "weight": r.weight,
                            "breakdown": r.breakdown,
                            "signature": r.signature,
                        },
                    )
                    for r in accepted
                ],
            )
            latest: dict[tuple[int, int], dict[str, Any]] = {}
            for request, entry in zip(accepted, entries, strict=True):
                latest[(request.proposal_id, request.member_id)] = {
                    "proposal_id": request.proposal_id,
                    "member_id": request.member_id,
                    "selection": dumps(request.selection),
                    "weight": request.weight,
                    "breakdown": dumps(request.breakdown),
                    "cast_at": request.at,
                    "receipt": entry.hash,
                    "signature": request.signature,
                }
            if latest:
                stmt = self._insert(ballots)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["proposal_id", "member_id"],
                    set_={
                        c: stmt.excluded[c]
                        for c in ("selection", "weight", "breakdown", "cast_at", "receipt")
                    }
                    | {"signature": stmt.excluded.signature},
                )
                await conn.execute(stmt, list(latest.values()))
            receipts = iter(entries)
            seen: set[tuple[int, int]] = set()
            result: list[CastOutcome] = []
            for request, outcome in zip(requests, outcomes, strict=True):
                if outcome is not None:
                    result.append(outcome)
                    continue
                key = (request.proposal_id, request.member_id)
                result.append(CastOutcome(next(receipts).hash, key in existing or key in seen))
                seen.add(key)
            await self.deliveries.record(conn, _keyed(requests, result, replayed))
        return result

    async def _proposal_states(
        self, conn: AsyncConnection, ids: set[int]
    ) -> dict[int, tuple[str, float]]:
        rows = await conn.execute(
            select(proposals.c.id, proposals.c.status, proposals.c.ends_at).where(
                proposals.c.id.in_(ids)
            )
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def _existing(
        self, conn: AsyncConnection, requests: list[CastRequest]
    ) -> set[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        by_proposal: dict[int, set[int]] = {}
        for r in requests:
            by_proposal.setdefault(r.proposal_id, set()).add(r.member_id)
        for proposal_id, member_ids in by_proposal.items():
            rows = await conn.execute(
                select(ballots.c.member_id).where(
                    ballots.c.proposal_id == proposal_id, ballots.c.member_id.in_(member_ids)
                )
            )
            found.update((proposal_id, row[0]) for row in rows)
        return found

    async def for_proposal(
        self, proposal_id: int, conn: AsyncConnection | None = None
    ) -> list[BallotRecord]:
        query = select(ballots).where(ballots.c.proposal_id == proposal_id)
        if conn is not None:
            return [_record(row) for row in await conn.execute(query)]
        async with self.db.read() as own:
            return [_record(row) for row in await own.execute(query)]

    async def get(self, proposal_id: int, member_id: int) -> BallotRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(ballots).where(
                        ballots.c.proposal_id == proposal_id, ballots.c.member_id == member_id
                    )
                )
            ).first()
        return _record(row) if row else None

    async def count(self, proposal_id: int) -> int:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(ballots.c.member_id).where(ballots.c.proposal_id == proposal_id)
            )
            return len(rows.all())
