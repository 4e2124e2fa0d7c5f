"""Arena battles, their ratings and the queue of imported prompt/output pairs.

"One rating per member per battle" is the primary key; "changeable until reveal" and
"reveals once" are conditional statements inside the serialised write transaction,
so they hold across processes like proposals' "closes once". Every battle, rating and
reveal is appended to the audit log in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.records import dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import members
from storage.schema_arena import arena_battles, arena_queue, arena_votes

CHOICES = ("a", "b", "tie", "bothbad")


class _AlreadyClaimed(Exception):
    """Raised inside the write so the whole battle insert rolls back."""


@dataclass(frozen=True, slots=True)
class QueuedPair:
    prompt: str
    model_a: str
    output_a: str
    model_b: str
    output_b: str
    source: str = ""
    id: int | None = None
    categories: tuple[str, ...] = ()
    gold: str | None = None  # a gold pair: the better model's name (reused, never consumed)


@dataclass(frozen=True, slots=True)
class NewBattle:
    community_id: int
    prompt: str
    model_a: str
    output_a: str
    model_b: str
    output_b: str
    author_id: int | None
    origin: dict[str, Any]
    created_at: float
    reveal_at: float
    queue_id: int | None = None
    style: dict[str, Any] | None = None  # FastChat's conv_metadata style counts
    categories: tuple[str, ...] = ()
    gold: str | None = None  # a gold battle's known better choice: "a" or "b"
    leak: str | None = None  # a model name an output still gives away after redaction


@dataclass(frozen=True, slots=True)
class BattleRecord:
    id: int
    community_id: int
    prompt: str
    model_a: str
    output_a: str
    model_b: str
    output_b: str
    author_id: int | None
    origin: dict[str, Any]
    status: str
    created_at: float
    reveal_at: float
    revealed_at: float | None
    result: dict[str, Any] | None
    style: dict[str, Any] | None = None
    categories: tuple[str, ...] = ()
    gold: str | None = None
    leak: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> BattleRecord:
        m = row._mapping
        return cls(
            m["id"],
            m["community_id"],
            m["prompt"],
            m["model_a"],
            m["output_a"],
            m["model_b"],
            m["output_b"],
            m["author_id"],
            json.loads(m["origin"] or "{}"),
            m["status"],
            m["created_at"],
            m["reveal_at"],
            m["revealed_at"],
            json.loads(m["result"]) if m["result"] else None,
            json.loads(m["style"]) if m["style"] else None,
            tuple(json.loads(m["categories"] or "[]")),
            m["gold"],
            m["leak"],
        )


@dataclass(frozen=True, slots=True)
class RatingRecord:
    battle_id: int
    member_id: int
    choice: str
    cast_at: float


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    refused: str | None  # "revealed" | "missing"
    replaced: bool = False
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class RatedBattle:
    """One rating of a revealed battle, as FastChat's battle rows need it."""

    battle_id: int
    community_id: int
    model_a: str
    model_b: str
    choice: str
    member_id: int
    judge: str
    cast_at: float
    created_at: float = 0.0  # when the battle's card was posted
    output_chars: int = 0  # both outputs' characters (the reading-time floor)
    style: dict[str, Any] | None = None
    categories: tuple[str, ...] = ()
    gold: str | None = None
    leak: str | None = None


class ArenaRepo:
    def __init__(self, db: Database, audit: AuditRepo) -> None:
        self.db = db
        self.audit = audit
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    # -- the import queue -------------------------------------------------------------
    async def enqueue(self, pairs: Sequence[QueuedPair], *, at: float) -> int:
        """Queue imported pairs (one audit entry for the batch); returns how many."""
        if not pairs:
            return 0
        rows = [
            {
                "prompt": p.prompt,
                "model_a": p.model_a,
                "output_a": p.output_a,
                "model_b": p.model_b,
                "output_b": p.output_b,
                "source": p.source,
                "queued_at": at,
                "categories": dumps(sorted(p.categories)),
                "gold": p.gold,
            }
            for p in pairs
        ]
        async with self.db.write() as conn:
            await conn.execute(arena_queue.insert(), rows)
            payload = {
                "pairs": len(rows),
                "source": pairs[0].source,
                "models": sorted({p.model_a for p in pairs} | {p.model_b for p in pairs}),
                "gold": sum(p.gold is not None for p in pairs),
            }
            await self.audit.append(
                conn, [NewEntry("arena.import", "arena:queue", payload, None, at)]
            )
        return len(rows)

    async def peek_queued(self) -> QueuedPair | None:
        """The oldest unused ordinary pair (gold pairs are served by `gold_pairs`)."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(arena_queue)
                    .where(arena_queue.c.used_by.is_(None), arena_queue.c.gold.is_(None))
                    .order_by(arena_queue.c.id)
                    .limit(1)
                )
            ).first()
        return None if row is None else _queued(row)

    async def gold_pairs(self) -> list[QueuedPair]:
        """Every gold pair (they are mixed in again and again, never consumed)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(arena_queue)
                .where(arena_queue.c.gold.is_not(None))
                .order_by(arena_queue.c.id)
            )
            return [_queued(r) for r in rows]

    async def queued_count(self) -> int:
        async with self.db.read() as conn:
            total = await conn.scalar(
                select(func.count())
                .select_from(arena_queue)
                .where(arena_queue.c.used_by.is_(None), arena_queue.c.gold.is_(None))
            )
        return int(total or 0)

    # -- battles ----------------------------------------------------------------------
    async def create_battle(self, new: NewBattle) -> BattleRecord | None:
        """Store a battle; with `queue_id` it claims that pair (None if someone else did)."""
        try:
            return await self._create_battle(new)
        except _AlreadyClaimed:
            return None

    async def _create_battle(self, new: NewBattle) -> BattleRecord:
        async with self.db.write() as conn:
            values = {
                "community_id": new.community_id,
                "prompt": new.prompt,
                "model_a": new.model_a,
                "output_a": new.output_a,
                "model_b": new.model_b,
                "output_b": new.output_b,
                "author_id": new.author_id,
                "origin": dumps(new.origin),
                "status": "open",
                "created_at": new.created_at,
                "reveal_at": new.reveal_at,
                "style": dumps(new.style) if new.style is not None else None,
                "categories": dumps(sorted(new.categories)),
                "gold": new.gold,
                "leak": new.leak,
            }
            result = await conn.execute(arena_battles.insert().values(**values))
            battle_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if new.queue_id is not None:
                claimed = await conn.execute(
                    update(arena_queue)
                    .where(arena_queue.c.id == new.queue_id, arena_queue.c.used_by.is_(None))
                    .values(used_by=battle_id)
                )
                if claimed.rowcount != 1:
                    raise _AlreadyClaimed
            payload = {
                "id": battle_id,
                "model_a": new.model_a,
                "model_b": new.model_b,
                "prompt_chars": len(new.prompt),
                "author": new.author_id,
                "queue_id": new.queue_id,
                "reveal_at": new.reveal_at,
                "categories": sorted(new.categories),
                "gold": new.gold,
                "leak": new.leak,
            }
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "arena.battle",
                        f"battle:{battle_id}",
                        payload,
                        new.community_id,
                        new.created_at,
                    )
                ],
            )
            row = (
                await conn.execute(select(arena_battles).where(arena_battles.c.id == battle_id))
            ).one()
        return BattleRecord.from_row(row)

    async def get(self, battle_id: int) -> BattleRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(arena_battles).where(arena_battles.c.id == battle_id))
            ).first()
        return BattleRecord.from_row(row) if row else None

    async def vote(self, battle_id: int, member_id: int, choice: str, *, at: float) -> VoteOutcome:
        """Record or replace a member's rating while the battle is open."""
        if choice not in CHOICES:
            raise ValueError(f"choice must be one of {CHOICES}")
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(arena_battles.c.status, arena_battles.c.community_id).where(
                        arena_battles.c.id == battle_id
                    )
                )
            ).first()
            if row is None:
                return VoteOutcome("missing")
            if row[0] != "open":
                return VoteOutcome("revealed")
            previous = await conn.scalar(
                select(arena_votes.c.choice).where(
                    arena_votes.c.battle_id == battle_id, arena_votes.c.member_id == member_id
                )
            )
            statement = self._insert(arena_votes).values(
                battle_id=battle_id, member_id=member_id, choice=choice, cast_at=at
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["battle_id", "member_id"],
                    set_={"choice": choice, "cast_at": at},
                )
            )
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "arena.rating",
                        f"battle:{battle_id}",
                        {"member": member_id, "choice": choice, "replaces": previous},
                        row[1],
                        at,
                    )
                ],
            )
        return VoteOutcome(None, replaced=previous is not None, previous=previous)

    async def ratings(self, battle_id: int) -> list[RatingRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(arena_votes)
                .where(arena_votes.c.battle_id == battle_id)
                .order_by(arena_votes.c.cast_at, arena_votes.c.member_id)
            )
            return [RatingRecord(r.battle_id, r.member_id, r.choice, r.cast_at) for r in rows]

    async def reveal(
        self, battle_id: int, result: dict[str, Any], *, at: float
    ) -> BattleRecord | None:
        """Open → revealed exactly once; None if it was revealed already (or missing)."""
        async with self.db.write() as conn:
            done = await conn.execute(
                update(arena_battles)
                .where(arena_battles.c.id == battle_id, arena_battles.c.status == "open")
                .values(status="revealed", revealed_at=at, result=dumps(result))
            )
            if done.rowcount != 1:
                return None
            row = (
                await conn.execute(select(arena_battles).where(arena_battles.c.id == battle_id))
            ).one()
            record = BattleRecord.from_row(row)
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "arena.revealed",
                        f"battle:{battle_id}",
                        result | {"model_a": record.model_a, "model_b": record.model_b},
                        record.community_id,
                        at,
                    )
                ],
            )
        return record

    async def due(self, now: float, limit: int = 100) -> list[BattleRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(arena_battles)
                .where(arena_battles.c.status == "open", arena_battles.c.reveal_at <= now)
                .order_by(arena_battles.c.reveal_at)
                .limit(limit)
            )
            return [BattleRecord.from_row(r) for r in rows]

    async def open_count(self, community_id: int) -> int:
        async with self.db.read() as conn:
            total = await conn.scalar(
                select(func.count())
                .select_from(arena_battles)
                .where(
                    arena_battles.c.community_id == community_id, arena_battles.c.status == "open"
                )
            )
        return int(total or 0)

    async def rated(self, community_id: int | None = None) -> list[RatedBattle]:
        """Every rating of every revealed battle (FastChat's rows: one per vote)."""
        query = (
            select(
                arena_battles.c.id,
                arena_battles.c.community_id,
                arena_battles.c.model_a,
                arena_battles.c.model_b,
                arena_votes.c.choice,
                arena_votes.c.member_id,
                members.c.platform,
                members.c.user_id,
                arena_votes.c.cast_at,
                arena_battles.c.created_at,
                func.length(arena_battles.c.output_a) + func.length(arena_battles.c.output_b),
                arena_battles.c.style,
                arena_battles.c.categories,
                arena_battles.c.gold,
                arena_battles.c.leak,
            )
            .select_from(
                arena_votes.join(arena_battles, arena_votes.c.battle_id == arena_battles.c.id).join(
                    members, members.c.id == arena_votes.c.member_id
                )
            )
            .where(arena_battles.c.status == "revealed")
            .order_by(arena_votes.c.cast_at, arena_battles.c.id, arena_votes.c.member_id)
        )
        if community_id is not None:
            query = query.where(and_(arena_battles.c.community_id == community_id))
        async with self.db.read() as conn:
            rows = await conn.execute(query)
            return [
                RatedBattle(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    f"{r[6]}:{r[7]}",
                    r[8],
                    r[9],
                    int(r[10] or 0),
                    json.loads(r[11]) if r[11] else None,
                    tuple(json.loads(r[12] or "[]")),
                    r[13],
                    r[14],
                )
                for r in rows
            ]


def _queued(row: Any) -> QueuedPair:
    m = row._mapping
    return QueuedPair(
        m["prompt"],
        m["model_a"],
        m["output_a"],
        m["model_b"],
        m["output_b"],
        m["source"],
        m["id"],
        tuple(json.loads(m["categories"] or "[]")),
        m["gold"],
    )
