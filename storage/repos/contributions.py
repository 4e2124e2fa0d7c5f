"""The contribution ledger: credits, retractions, daily caps, trusted-seed marks.

Ingestion goes through a group committer: many listeners' credits share one write
transaction and one disk sync, and each caller is answered only once its credit is
durable. Inside that transaction the daily cap is checked against stored counters (so it
holds across processes), retractions find the credit they undo (also one still in the
same batch), the community's ledger version is bumped (so snapshots know they are
stale) and one audit entry with a digest of the batch's rows is chained.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.records import dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import members
from storage.schema_contributions import (
    contribution_daily,
    contributions,
    ledger_state,
    rep_seeds,
)

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class NewContribution:
    """A credit to store. `counted=False` rows are kept (with `reason`) for transparency.

    `cap` > 0 limits counted credits from giver to receiver per UTC day; a credit over it
    is stored uncounted with reason "daily_cap".
    """

    community_id: int
    kind: str
    giver_id: int | None
    receiver_id: int
    platform: str
    channel_id: str
    message_id: str | None
    emoji: str | None
    weight: float
    at: float
    counted: bool = True
    reason: str | None = None
    subject: str | None = None
    cap: int = 0


@dataclass(frozen=True, slots=True)
class Retraction:
    """Undo the latest live credit by `giver_id` on one message (with this emoji, if given)."""

    community_id: int
    platform: str
    channel_id: str
    message_id: str
    giver_id: int
    at: float
    emoji: str | None = None
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Recorded:
    """What happened to one request: the row id, and whether it counts (or was retracted)."""

    id: int | None
    counted: bool
    reason: str | None = None
    kind: str | None = None


Request = NewContribution | Retraction


@dataclass(frozen=True, slots=True)
class LedgerColumns:
    """The live, counted credits of one community as columns (for the score computation)."""

    giver: list[int | None]
    receiver: list[int]
    kind: list[str]
    weight: list[float]
    at: list[float]


@dataclass
class _Pending:
    row: dict[str, Any]
    day_key: tuple[int, int, int] | None = None
    outcome_index: int = 0


class ContributionRepo:
    """The ledger: durable batched ingestion, retraction, lookups and export."""

    def __init__(self, db: Database, audit: AuditRepo, *, max_batch: int = 2000) -> None:
        self.db = db
        self.audit = audit
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._committer: GroupCommitter[Request, Recorded] = GroupCommitter(
            self.apply_many, max_batch=max_batch
        )

    async def record(self, request: Request) -> Recorded:
        """Store a credit or a retraction; returns once it is committed."""
        return await self._committer.submit(request)

    async def drain(self) -> None:
        await self._committer.drain()

    @property
    def batches(self) -> int:
        return self._committer.batches

    async def apply_many(self, requests: list[Request]) -> list[Recorded]:
        """Apply a batch in one write transaction, in order; the outcomes in the same order."""
        async with self.db.write() as conn:
            return await self._apply(conn, requests)

    async def _apply(self, conn: AsyncConnection, requests: list[Request]) -> list[Recorded]:
        day_keys = {
            (r.giver_id, r.receiver_id, int(r.at // DAY))
            for r in requests
            if isinstance(r, NewContribution) and r.counted and r.cap > 0 and r.giver_id is not None
        }
        counts = await self._day_counts(conn, day_keys)
        start_counts = dict(counts)
        pending: list[_Pending] = []
        outcomes: list[Recorded | None] = []
        retracted_ids: list[tuple[int, float]] = []
        touched: set[int] = set()
        for request in requests:
            touched.add(request.community_id)
            if isinstance(request, Retraction):
                outcomes.append(await self._retract(conn, request, pending, counts, retracted_ids))
                continue
            counted, reason = request.counted, request.reason
            key = None
            if counted and request.giver_id is not None:
                key = (request.giver_id, request.receiver_id, int(request.at // DAY))
                if request.cap > 0:
                    if counts.get(key, 0) >= request.cap:
                        counted, reason = False, "daily_cap"
                    else:
                        counts[key] = counts.get(key, 0) + 1
            pending.append(
                _Pending(
                    {
                        "community_id": request.community_id,
                        "kind": request.kind,
                        "giver_id": request.giver_id,
                        "receiver_id": request.receiver_id,
                        "platform": request.platform,
                        "channel_id": request.channel_id,
                        "message_id": request.message_id,
                        "emoji": request.emoji,
                        "subject": request.subject,
                        "weight": float(request.weight),
                        "counted": counted,
                        "reason": reason,
                        "at": request.at,
                        "retracted_at": None,
                    },
                    key if counted and request.cap > 0 else None,
                    len(outcomes),
                )
            )
            outcomes.append(None)
        ids: list[int] = []
        if pending:
            ids = await self._insert_rows(conn, [p.row for p in pending])
        for p, row_id in zip(pending, ids, strict=True):
            row = p.row
            retracted = row["retracted_at"] is not None
            outcomes[p.outcome_index] = Recorded(
                row_id, bool(row["counted"]) and not retracted, row["reason"], row["kind"]
            )
        await self._save_day_counts(conn, start_counts, counts)
        for community_id in touched:
            await self._bump(conn, community_id)
        if pending or retracted_ids:
            digest = hashlib.sha256(
                dumps([p.row for p in pending] + [list(r) for r in retracted_ids]).encode()
            ).hexdigest()
            for community_id in sorted(touched):
                await self.audit.append(
                    conn,
                    [
                        NewEntry(
                            "contributions.batch",
                            f"community:{community_id}",
                            {
                                "added": len(pending),
                                "first_id": ids[0] if ids else None,
                                "last_id": ids[-1] if ids else None,
                                "retracted": [i for i, _ in retracted_ids],
                                "sha256": digest,
                            },
                            community_id,
                            max(r.at for r in requests),
                        )
                    ],
                )
        return [o if o is not None else Recorded(None, False, "missing") for o in outcomes]

    async def _insert_rows(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows and return their ids in order (one statement per batch)."""
        if self.db.dialect == "postgresql":
            result = await conn.execute(
                contributions.insert().returning(contributions.c.id, sort_by_parameter_order=True),
                rows,
            )
            return [int(r[0]) for r in result]
        # SQLite: ids are allocated consecutively inside our exclusive write transaction.
        before = await conn.scalar(select(func.max(contributions.c.id))) or 0
        await conn.execute(contributions.insert(), rows)
        return list(range(int(before) + 1, int(before) + 1 + len(rows)))

    async def _retract(
        self,
        conn: AsyncConnection,
        request: Retraction,
        pending: list[_Pending],
        counts: dict[tuple[int, int, int], int],
        retracted_ids: list[tuple[int, float]],
    ) -> Recorded:
        def matches(row: dict[str, Any]) -> bool:
            return (
                row["community_id"] == request.community_id
                and row["platform"] == request.platform
                and row["channel_id"] == request.channel_id
                and row["message_id"] == request.message_id
                and row["giver_id"] == request.giver_id
                and (request.emoji is None or row["emoji"] == request.emoji)
                and (not request.kinds or row["kind"] in request.kinds)
                and row["retracted_at"] is None
            )

        for p in reversed(pending):
            if matches(p.row):
                p.row["retracted_at"] = request.at
                if p.day_key is not None:
                    counts[p.day_key] -= 1
                return Recorded(None, bool(p.row["counted"]), "retracted", p.row["kind"])
        c = contributions.c
        query = select(c.id, c.counted, c.giver_id, c.receiver_id, c.at, c.kind).where(
            c.platform == request.platform,
            c.channel_id == request.channel_id,
            c.message_id == request.message_id,
            c.giver_id == request.giver_id,
            c.community_id == request.community_id,
            c.retracted_at.is_(None),
        )
        if request.emoji is not None:
            query = query.where(c.emoji == request.emoji)
        if request.kinds:
            query = query.where(c.kind.in_(request.kinds))
        found = (await conn.execute(query.order_by(c.id.desc()).limit(1))).first()
        if found is None:
            return Recorded(None, False, "nothing_to_retract")
        await conn.execute(
            update(contributions).where(c.id == found.id).values(retracted_at=request.at)
        )
        retracted_ids.append((int(found.id), request.at))
        if found.counted:
            key = (found.giver_id, found.receiver_id, int(found.at // DAY))
            if key not in counts:
                counts.update(await self._day_counts(conn, {key}))
            counts[key] = max(0, counts.get(key, 0) - 1)
        return Recorded(int(found.id), bool(found.counted), "retracted", found.kind)

    async def _day_counts(
        self, conn: AsyncConnection, keys: set[tuple[Any, Any, int]]
    ) -> dict[tuple[int, int, int], int]:
        found: dict[tuple[int, int, int], int] = {}
        d = contribution_daily.c
        listed = sorted(keys)
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            rows = await conn.execute(
                select(d.giver_id, d.receiver_id, d.day, d.counted).where(
                    tuple_(d.giver_id, d.receiver_id, d.day).in_(chunk)
                )
            )
            found.update({(r[0], r[1], r[2]): r[3] for r in rows})
        return found

    async def _save_day_counts(
        self,
        conn: AsyncConnection,
        before: dict[tuple[int, int, int], int],
        after: dict[tuple[int, int, int], int],
    ) -> None:
        changed = [
            {"giver_id": k[0], "receiver_id": k[1], "day": k[2], "counted": v}
            for k, v in after.items()
            if before.get(k) != v
        ]
        if not changed:
            return
        stmt = self._insert(contribution_daily)
        stmt = stmt.on_conflict_do_update(
            index_elements=["giver_id", "receiver_id", "day"],
            set_={"counted": stmt.excluded.counted},
        )
        await conn.execute(stmt, changed)

    async def _bump(self, conn: AsyncConnection, community_id: int) -> None:
        stmt = self._insert(ledger_state).values(community_id=community_id, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id"], set_={"version": ledger_state.c.version + 1}
        )
        await conn.execute(stmt)

    # ----- reads ---------------------------------------------------------------------
    async def version(self, community_id: int) -> int:
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(ledger_state.c.version).where(ledger_state.c.community_id == community_id)
            )
        return int(found or 0)

    async def communities(self) -> list[int]:
        """Communities with a ledger."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(ledger_state.c.community_id))
            return sorted(r[0] for r in rows)

    async def find_reply(
        self, platform: str, channel_id: str, message_id: str
    ) -> tuple[int | None, int] | None:
        """(replier, replied-to member) when this message is a reply we logged."""
        c = contributions.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(c.giver_id, c.receiver_id)
                    .where(
                        c.platform == platform,
                        c.channel_id == channel_id,
                        c.message_id == message_id,
                        c.kind == "reply",
                    )
                    .order_by(c.id.desc())
                    .limit(1)
                )
            ).first()
        return (row[0], row[1]) if row else None

    async def live_mark(
        self, kind: str, platform: str, channel_id: str, message_id: str, giver_id: int
    ) -> bool:
        """Whether this member already has a live credit of this kind on this message."""
        c = contributions.c
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(c.id)
                .where(
                    c.platform == platform,
                    c.channel_id == channel_id,
                    c.message_id == message_id,
                    c.giver_id == giver_id,
                    c.kind == kind,
                    c.retracted_at.is_(None),
                )
                .limit(1)
            )
        return found is not None

    async def load(self, community_id: int) -> LedgerColumns:
        """Every counted, unretracted credit of a community, as columns."""
        c = contributions.c
        query = select(c.giver_id, c.receiver_id, c.kind, c.weight, c.at).where(
            c.community_id == community_id, c.counted.is_(True), c.retracted_at.is_(None)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            return LedgerColumns([], [], [], [], [])
        giver, receiver, kind, weight, at = (list(col) for col in zip(*rows, strict=True))
        return LedgerColumns(giver, receiver, kind, weight, at)

    async def load_as_of(
        self, community_id: int, at: float, without: frozenset[int] = frozenset()
    ) -> LedgerColumns:
        """The ledger as it stood at `at`, leaving out the credits `without`.

        Counted credits given by then and not retracted by then (a credit withdrawn
        later still counted at `at`); rows in `without` (e.g. voided by a dispute) are
        left out whenever they were voided.
        """
        c = contributions.c
        query = select(c.id, c.giver_id, c.receiver_id, c.kind, c.weight, c.at).where(
            c.community_id == community_id,
            c.counted.is_(True),
            c.at <= at,
            (c.retracted_at.is_(None)) | (c.retracted_at > at),
        )
        async with self.db.read() as conn:
            rows = [r for r in (await conn.execute(query)).all() if int(r[0]) not in without]
        if not rows:
            return LedgerColumns([], [], [], [], [])
        _, giver, receiver, kind, weight, when = (list(col) for col in zip(*rows, strict=True))
        return LedgerColumns(giver, receiver, kind, weight, when)

    async def count(self, community_id: int | None = None, *, counted: bool | None = None) -> int:
        query = select(func.count()).select_from(contributions)
        if community_id is not None:
            query = query.where(contributions.c.community_id == community_id)
        if counted is not None:
            query = query.where(contributions.c.counted.is_(counted))
        async with self.db.read() as conn:
            return int(await conn.scalar(query) or 0)

    async def export(self, batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
        """Every ledger row in id order, with giver and receiver accounts and names."""
        giver = members.alias("giver")
        receiver = members.alias("receiver")
        c = contributions.c
        query = (
            select(
                contributions,
                giver.c.platform.label("giver_platform"),
                giver.c.user_id.label("giver_user"),
                giver.c.display_name.label("giver_name"),
                receiver.c.platform.label("receiver_platform"),
                receiver.c.user_id.label("receiver_user"),
                receiver.c.display_name.label("receiver_name"),
            )
            .select_from(
                contributions.outerjoin(giver, giver.c.id == c.giver_id).join(
                    receiver, receiver.c.id == c.receiver_id
                )
            )
            .order_by(c.id)
        )
        last = 0
        while True:
            async with self.db.read() as conn:
                rows = (await conn.execute(query.where(c.id > last).limit(batch))).all()
            if not rows:
                return
            for row in rows:
                yield dict(row._mapping)
                last = row.id

    # ----- seeds -----------------------------------------------------------
    async def mark_seed(self, community_id: int, member_id: int, reason: str, since: float) -> None:
        """Mark a trusted seed (idempotent); a new mark makes the snapshots stale."""
        async with self.db.write() as conn:
            result = await conn.execute(
                self._insert(rep_seeds)
                .values(community_id=community_id, member_id=member_id, reason=reason, since=since)
                .on_conflict_do_nothing(index_elements=["member_id", "reason"])
            )
            if result.rowcount:
                await self._bump(conn, community_id)

    async def seeds(self, community_id: int) -> dict[int, list[str]]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rep_seeds.c.member_id, rep_seeds.c.reason).where(
                    rep_seeds.c.community_id == community_id
                )
            )
            found: dict[int, list[str]] = {}
            for member_id, reason in rows:
                found.setdefault(member_id, []).append(reason)
        return found

    async def seeds_as_of(self, community_id: int, at: float) -> list[int]:
        """Members marked as seeds by `at`."""
        s = rep_seeds.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(s.member_id).where(s.community_id == community_id, s.since <= at)
            )
            return sorted({int(r[0]) for r in rows})

    async def touch(self, community_id: int) -> None:
        """Mark the community's snapshots stale (members' ages changed outside the ledger)."""
        async with self.db.write() as conn:
            await self._bump(conn, community_id)
