"""Reputation snapshots: scores computed from the ledger, written by the background
recompute (and pinned for `weight=reputation` proposals), read by /rep and /top."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import dumps
from storage.schema_contributions import ledger_state, rep_scores, rep_snapshots


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    member_id: int
    score: float
    trust: float
    rank: int
    change_30d: float
    parts: dict[str, float]
    sources: list[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    community_id: int
    computed_at: float
    ledger_version: int
    events: int
    members: int
    total: float
    pinned: bool


def _snapshot_info(row: Any) -> SnapshotInfo:
    m = row._mapping
    return SnapshotInfo(
        m["id"],
        m["community_id"],
        m["computed_at"],
        m["ledger_version"],
        m["events"],
        m["members"],
        m["total"],
        bool(m["pinned"]),
    )


def _snapshot_row(row: Any) -> SnapshotRow:
    m = row._mapping
    return SnapshotRow(
        m["member_id"],
        m["score"],
        m["trust"],
        m["rank"],
        m["change_30d"],
        json.loads(m["parts"]),
        [(str(k), float(v)) for k, v in json.loads(m["sources"])],
    )


class ReputationRepo:
    """Computed score snapshots: written by the background recompute, read by /rep."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        community_id: int,
        *,
        computed_at: float,
        ledger_version: int,
        events: int,
        rows: list[SnapshotRow],
        keep: int = 2,
    ) -> SnapshotInfo:
        """Store a snapshot, then drop old unpinned ones (keeping the newest `keep`)."""
        total = float(sum(r.score for r in rows))
        async with self.db.write() as conn:
            result = await conn.execute(
                rep_snapshots.insert()
                .values(
                    community_id=community_id,
                    computed_at=computed_at,
                    ledger_version=ledger_version,
                    events=events,
                    members=len(rows),
                    total=total,
                    pinned=False,
                )
                .returning(rep_snapshots.c.id)
            )
            snapshot_id = int(result.scalar_one())
            payload = [
                {
                    "snapshot_id": snapshot_id,
                    "member_id": r.member_id,
                    "score": r.score,
                    "trust": r.trust,
                    "rank": r.rank,
                    "change_30d": r.change_30d,
                    "parts": dumps(r.parts),
                    "sources": dumps([list(s) for s in r.sources]),
                }
                for r in rows
            ]
            for start in range(0, len(payload), 5000):
                await conn.execute(rep_scores.insert(), payload[start : start + 5000])
            await self._prune(conn, community_id, keep)
        return SnapshotInfo(
            snapshot_id, community_id, computed_at, ledger_version, events, len(rows), total, False
        )

    async def _prune(self, conn: AsyncConnection, community_id: int, keep: int) -> None:
        s = rep_snapshots.c
        newest = select(s.id).where(s.community_id == community_id).order_by(s.id.desc())
        kept = [r[0] for r in await conn.execute(newest.limit(keep))]
        old = [
            r[0]
            for r in await conn.execute(
                select(s.id).where(
                    s.community_id == community_id, s.pinned.is_(False), s.id.not_in(kept)
                )
            )
        ]
        if old:
            await conn.execute(delete(rep_scores).where(rep_scores.c.snapshot_id.in_(old)))
            await conn.execute(delete(rep_snapshots).where(s.id.in_(old)))

    @staticmethod
    def _latest_query(community_id: int) -> Any:
        return (
            select(rep_snapshots)
            .where(rep_snapshots.c.community_id == community_id)
            .order_by(rep_snapshots.c.id.desc())
            .limit(1)
        )

    async def latest(self, community_id: int) -> SnapshotInfo | None:
        async with self.db.read() as conn:
            row = (await conn.execute(self._latest_query(community_id))).first()
        return _snapshot_info(row) if row else None

    async def latest_and_version(self, community_id: int) -> tuple[SnapshotInfo | None, int]:
        """The latest snapshot and the ledger's current version, in one read."""
        async with self.db.read() as conn:
            row = (await conn.execute(self._latest_query(community_id))).first()
            version = await conn.scalar(
                select(ledger_state.c.version).where(ledger_state.c.community_id == community_id)
            )
        return (_snapshot_info(row) if row else None), int(version or 0)

    async def get(self, snapshot_id: int) -> SnapshotInfo | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(rep_snapshots).where(rep_snapshots.c.id == snapshot_id))
            ).first()
        return _snapshot_info(row) if row else None

    async def pin(self, snapshot_id: int) -> None:
        """Keep this snapshot for good: a proposal's weights are read from it."""
        async with self.db.write() as conn:
            await conn.execute(
                update(rep_snapshots).where(rep_snapshots.c.id == snapshot_id).values(pinned=True)
            )

    async def score(self, snapshot_id: int, member_id: int) -> SnapshotRow | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(rep_scores).where(
                        rep_scores.c.snapshot_id == snapshot_id,
                        rep_scores.c.member_id == member_id,
                    )
                )
            ).first()
        return _snapshot_row(row) if row else None

    async def top(self, snapshot_id: int, n: int) -> list[SnapshotRow]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rep_scores)
                .where(rep_scores.c.snapshot_id == snapshot_id)
                .order_by(rep_scores.c.rank, rep_scores.c.member_id)
                .limit(n)
            )
            return [_snapshot_row(r) for r in rows]

    async def ranked(self, snapshot_id: int) -> int:
        """How many members have a positive score in this snapshot."""
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(rep_scores)
                .where(rep_scores.c.snapshot_id == snapshot_id, rep_scores.c.score > 0)
            )
        return int(found or 0)
