"""Reward epochs: opened once, closed once with their allocation, audited at every step.

Opening inserts epoch N+1 of a community inside the serialised write transaction, so of
several processes only one opens it (the unique key backs that up); closing is a
conditional update (open → closed) in the same transaction that stores the allocation,
settles earlier holds and appends the closing audit entry, so an epoch is allocated
exactly once and its allocation, its holds and its log entry never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import communities
from storage.schema_arena import arena_battles
from storage.schema_rewards import rewards_acknowledgements, rewards_allocations, rewards_epochs


@dataclass(frozen=True, slots=True)
class EpochRecord:
    id: int
    community_id: int
    number: int
    status: str
    schedule: str
    starts_at: float
    ends_at: float | None
    closed_at: float | None
    start_snapshot: int | None
    close_snapshot: int | None
    summary: dict[str, Any] | None
    result_hash: str | None
    announced: bool
    place: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AllocationRow:
    epoch_id: int
    recipient: str
    member_id: int | None
    address: str | None
    amount: int
    parts: dict[str, int]
    status: str
    settled_in: int | None


@dataclass(frozen=True, slots=True)
class HeldRow:
    """A share kept for a member without a wallet, from an earlier epoch."""

    epoch_id: int
    epoch_number: int
    recipient: str
    member_id: int | None
    amount: int


@dataclass(frozen=True, slots=True)
class NewEpoch:
    community_id: int
    schedule: str
    starts_at: float
    ends_at: float | None
    start_snapshot: int | None
    place: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Closing:
    """What a close decided: the logged inputs, the result, the holds it settles."""

    inputs: dict[str, Any]
    result: dict[str, Any]
    released: list[dict[str, Any]]  # {"epoch": id, "key", "amount", "address"}
    returned: list[dict[str, Any]]  # {"epoch": id, "key", "amount"}
    summary: dict[str, Any]


Decide = Callable[[EpochRecord, list[HeldRow]], Closing]


def _epoch(row: Any) -> EpochRecord:
    m = row._mapping
    return EpochRecord(
        m["id"],
        m["community_id"],
        m["number"],
        m["status"],
        m["schedule"],
        m["starts_at"],
        m["ends_at"],
        m["closed_at"],
        m["start_snapshot"],
        m["close_snapshot"],
        json.loads(m["summary"]) if m["summary"] else None,
        m["result_hash"],
        bool(m["announced"]),
        json.loads(m["place"]) if m["place"] else None,
    )


def _allocation(row: Any) -> AllocationRow:
    m = row._mapping
    return AllocationRow(
        m["epoch_id"],
        m["recipient"],
        m["member_id"],
        m["address"],
        int(m["amount"]),
        {k: int(v) for k, v in json.loads(m["parts"]).items()},
        m["status"],
        m["settled_in"],
    )


def member_of_key(key: str) -> int | None:
    return int(key[2:]) if key.startswith("m:") else None


class RewardsRepo:
    def __init__(self, db: Database, audit: AuditRepo) -> None:
        self.db = db
        self.audit = audit

    # ----- epochs --------------------------------------------------------------------
    async def _open_in(self, conn: AsyncConnection, new: NewEpoch, at: float) -> EpochRecord:
        e = rewards_epochs.c
        found = (
            await conn.execute(
                select(rewards_epochs).where(e.community_id == new.community_id, e.status == "open")
            )
        ).first()
        if found is not None:
            return _epoch(found)
        number = 1 + int(
            await conn.scalar(
                select(func.coalesce(func.max(e.number), 0)).where(
                    e.community_id == new.community_id
                )
            )
            or 0
        )
        epoch_id = (
            await conn.execute(
                rewards_epochs.insert()
                .values(
                    community_id=new.community_id,
                    number=number,
                    status="open",
                    schedule=new.schedule,
                    starts_at=new.starts_at,
                    ends_at=new.ends_at,
                    start_snapshot=new.start_snapshot,
                    announced=False,
                    place=dumps(new.place) if new.place else None,
                )
                .returning(e.id)
            )
        ).scalar_one()
        await self.audit.append(
            conn,
            [
                NewEntry(
                    "rewards.epoch.opened",
                    f"epoch:{epoch_id}",
                    {
                        "epoch": epoch_id,
                        "number": number,
                        "schedule": new.schedule,
                        "starts_at": new.starts_at,
                        "ends_at": new.ends_at,
                        "start_snapshot": new.start_snapshot,
                    },
                    new.community_id,
                    at,
                )
            ],
        )
        return _epoch((await conn.execute(select(rewards_epochs).where(e.id == epoch_id))).one())

    async def open(self, new: NewEpoch, *, at: float) -> EpochRecord:
        """The community's open epoch, opening epoch N+1 first if there is none."""
        async with self.db.write() as conn:
            return await self._open_in(conn, new, at)

    async def current(self, community_id: int) -> EpochRecord | None:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(rewards_epochs).where(e.community_id == community_id, e.status == "open")
                )
            ).first()
        return _epoch(row) if row else None

    async def get(self, community_id: int, number: int) -> EpochRecord | None:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(rewards_epochs).where(e.community_id == community_id, e.number == number)
                )
            ).first()
        return _epoch(row) if row else None

    async def by_id(self, epoch_id: int) -> EpochRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(rewards_epochs).where(rewards_epochs.c.id == epoch_id))
            ).first()
        return _epoch(row) if row else None

    async def latest_closed(self, community_id: int) -> EpochRecord | None:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(rewards_epochs)
                    .where(e.community_id == community_id, e.status == "closed")
                    .order_by(e.number.desc())
                    .limit(1)
                )
            ).first()
        return _epoch(row) if row else None

    async def closed(self) -> list[EpochRecord]:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_epochs).where(e.status == "closed").order_by(e.id)
            )
            return [_epoch(r) for r in rows]

    async def due(self, now: float) -> list[EpochRecord]:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_epochs)
                .where(e.status == "open", e.ends_at.is_not(None), e.ends_at <= now)
                .order_by(e.id)
            )
            return [_epoch(r) for r in rows]

    async def unannounced(self) -> list[EpochRecord]:
        e = rewards_epochs.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_epochs)
                .where(e.status == "closed", e.announced.is_(False))
                .order_by(e.id)
            )
            return [_epoch(r) for r in rows]

    async def set_place(self, epoch_id: int, place: dict[str, Any]) -> None:
        """Remember where the epoch's cards go (the first place it was asked about)."""
        e = rewards_epochs.c
        async with self.db.write() as conn:
            await conn.execute(
                update(rewards_epochs)
                .where(e.id == epoch_id, e.place.is_(None))
                .values(place=dumps(place))
            )

    async def communities(self) -> list[int]:
        """Every community (each runs epochs)."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(communities.c.id).order_by(communities.c.id))
            return [int(r[0]) for r in rows]

    async def claim_announcement(self, epoch_id: int) -> bool:
        """True for exactly one caller (any process): that one posts the result card."""
        e = rewards_epochs.c
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(rewards_epochs)
                .where(e.id == epoch_id, e.announced.is_(False))
                .values(announced=True)
            )
            return changed.rowcount == 1

    async def close(
        self,
        epoch_id: int,
        decide: Decide,
        *,
        at: float,
        by: int | None,
        close_snapshot: int | None,
        reopen: NewEpoch | None,
    ) -> tuple[EpochRecord, EpochRecord | None] | None:
        """Close once, store the allocation and settle holds; None if already closed.

        `reopen` opens the next epoch in the same transaction (scheduled epochs follow
        each other without a gap).
        """
        e = rewards_epochs.c
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(rewards_epochs)
                .where(e.id == epoch_id, e.status == "open")
                .values(status="closed", closed_at=at, close_snapshot=close_snapshot)
            )
            if changed.rowcount != 1:
                return None
            epoch = _epoch(
                (await conn.execute(select(rewards_epochs).where(e.id == epoch_id))).one()
            )
            closing = decide(epoch, await self._held(conn, epoch.community_id))
            rows = [
                {
                    "epoch_id": epoch_id,
                    "recipient": key,
                    "member_id": member_of_key(key),
                    "address": row["address"],
                    "amount": row["amount"],
                    "parts": dumps(row["parts"]),
                    "status": row["status"],
                    "settled_in": epoch_id if row["status"] == "returned" else None,
                }
                for key, row in closing.result["allocations"].items()
            ]
            for start in range(0, len(rows), 5000):
                await conn.execute(rewards_allocations.insert(), rows[start : start + 5000])
            a = rewards_allocations.c
            for hold in closing.released:
                await conn.execute(
                    update(rewards_allocations)
                    .where(a.epoch_id == hold["epoch"], a.recipient == hold["key"])
                    .values(status="released", settled_in=epoch_id, address=hold["address"])
                )
            for hold in closing.returned:
                await conn.execute(
                    update(rewards_allocations)
                    .where(a.epoch_id == hold["epoch"], a.recipient == hold["key"])
                    .values(status="returned", settled_in=epoch_id)
                )
            [entry] = await self.audit.append(
                conn,
                [
                    NewEntry(
                        "rewards.epoch.closed",
                        f"epoch:{epoch_id}",
                        {
                            "epoch": epoch_id,
                            "number": epoch.number,
                            "by": by,
                            "close_snapshot": close_snapshot,
                            "inputs": closing.inputs,
                            "result": closing.result,
                        },
                        epoch.community_id,
                        at,
                    )
                ],
            )
            await conn.execute(
                update(rewards_epochs)
                .where(e.id == epoch_id)
                .values(summary=dumps(closing.summary), result_hash=entry.hash)
            )
            closed = _epoch(
                (await conn.execute(select(rewards_epochs).where(e.id == epoch_id))).one()
            )
            opened = await self._open_in(conn, reopen, at) if reopen is not None else None
        return closed, opened

    # ----- allocations ---------------------------------------------------------------
    async def _held(self, conn: AsyncConnection, community_id: int) -> list[HeldRow]:
        a, e = rewards_allocations.c, rewards_epochs.c
        rows = await conn.execute(
            select(a.epoch_id, e.number, a.recipient, a.member_id, a.amount)
            .select_from(rewards_allocations.join(rewards_epochs, e.id == a.epoch_id))
            .where(e.community_id == community_id, a.status == "held")
            .order_by(e.number, a.recipient)
        )
        return [HeldRow(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]

    async def held(self, community_id: int) -> list[HeldRow]:
        async with self.db.read() as conn:
            return await self._held(conn, community_id)

    async def allocations(self, epoch_id: int) -> list[AllocationRow]:
        """The epoch's own rows, with their status now (a hold may since be settled)."""
        a = rewards_allocations.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_allocations).where(a.epoch_id == epoch_id).order_by(a.recipient)
            )
            return [_allocation(r) for r in rows]

    async def released_into(self, epoch_id: int) -> list[AllocationRow]:
        """Holds of earlier epochs paid out with this one."""
        a = rewards_allocations.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_allocations)
                .where(a.settled_in == epoch_id, a.status == "released")
                .order_by(a.epoch_id, a.recipient)
            )
            return [_allocation(r) for r in rows]

    async def paid_by_pool(self, community_id: int, pool: str) -> dict[str, int]:
        """What each recipient has been allocated from one pool (returned shares excluded)."""
        a, e = rewards_allocations.c, rewards_epochs.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(a.recipient, a.parts)
                .select_from(rewards_allocations.join(rewards_epochs, e.id == a.epoch_id))
                .where(e.community_id == community_id, a.status != "returned")
            )
            paid: dict[str, int] = {}
            for recipient, parts in rows:
                value = json.loads(parts).get(pool)
                if value:
                    paid[recipient] = paid.get(recipient, 0) + int(value)
        return paid

    async def log_export(self, epoch: EpochRecord, payload: dict[str, Any], *, at: float) -> None:
        async with self.db.write() as conn:
            await self.audit.append(
                conn,
                [NewEntry("rewards.export", f"epoch:{epoch.id}", payload, epoch.community_id, at)],
            )

    # ----- acknowledgements ------------------------------------------------------------
    async def acknowledge(
        self,
        *,
        community_id: int,
        contribution_id: int | None,
        kind: str,
        giver_id: int,
        receiver_id: int,
        points: float,
        reason: str,
        counted: bool,
        at: float,
    ) -> int:
        """Keep the reason given with a praise or a grant, and log it."""
        async with self.db.write() as conn:
            ack_id = (
                await conn.execute(
                    rewards_acknowledgements.insert()
                    .values(
                        community_id=community_id,
                        contribution_id=contribution_id,
                        kind=kind,
                        giver_id=giver_id,
                        receiver_id=receiver_id,
                        points=points,
                        reason=reason,
                        at=at,
                    )
                    .returning(rewards_acknowledgements.c.id)
                )
            ).scalar_one()
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        f"rewards.{kind}",
                        f"member:{receiver_id}",
                        {
                            "id": ack_id,
                            "contribution": contribution_id,
                            "giver": giver_id,
                            "receiver": receiver_id,
                            "points": points,
                            "reason": reason,
                            "counted": counted,
                        },
                        community_id,
                        at,
                    )
                ],
            )
        return int(ack_id)

    async def acknowledgements(self, receiver_id: int, limit: int = 5) -> list[dict[str, Any]]:
        k = rewards_acknowledgements.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rewards_acknowledgements)
                .where(k.receiver_id == receiver_id)
                .order_by(k.id.desc())
                .limit(limit)
            )
            return [dict(r._mapping) for r in rows]

    async def count_acknowledgements(self) -> int:
        async with self.db.read() as conn:
            found = await conn.scalar(select(func.count()).select_from(rewards_acknowledgements))
        return int(found or 0)

    # ----- what an epoch needs from the arena ------------------------------------------
    async def revealed_between(
        self,
        community_id: int,
        after: float,
        until: float,
        statuses: tuple[str, ...] = ("revealed",),
    ) -> set[int]:
        """Battles of the community revealed in (after, until]: their ratings are this
        epoch's (a rating counts in the epoch its battle was revealed, once). `statuses`
        with "voided": also those a dispute has since taken off the board."""
        b = arena_battles.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(b.id).where(
                    and_(
                        b.community_id == community_id,
                        b.status.in_(statuses),
                        b.revealed_at > after,
                        b.revealed_at <= until,
                    )
                )
            )
            return {int(r[0]) for r in rows}
