"""Read-only queries behind what govbot publishes: the public audit log, pages, exports.

Nothing here writes. Each query returns only what the caller may show after applying
its own rules; what is still sealed (ballots of a hidden-tally proposal that is open,
an arena battle not yet revealed) is reported by `sealed()` so the publishers can
withhold it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.records import CommunityRecord, ProposalRecord
from storage.repos.communities import CommunityRepo
from storage.schema import ballots, communities, members, proposals
from storage.schema_arena import arena_battles, arena_votes


@dataclass(frozen=True, slots=True)
class Sealed:
    """Subjects whose audit entries are withheld from the public log for now."""

    proposals: frozenset[int]  # hidden-tally proposals still open: their ballot entries
    battles: frozenset[int]  # arena battles not yet revealed: their battle and rating entries


@dataclass(frozen=True, slots=True)
class PublicBallot:
    member_id: int
    display_name: str
    receipt: str
    selection: list[Any]
    weight: float
    cast_at: float
    signed: bool


class PublicRepo:
    """Queries for the public log, the public pages and `govbot export`."""

    def __init__(self, db: Database, communities_repo: CommunityRepo) -> None:
        self.db = db
        self.communities = communities_repo

    async def sealed(self) -> Sealed:
        async with self.db.read() as conn:
            hidden = await conn.execute(
                select(proposals.c.id).where(
                    proposals.c.hidden.is_(True), proposals.c.status == "open"
                )
            )
            battles = await conn.execute(
                select(arena_battles.c.id).where(arena_battles.c.status != "revealed")
            )
            return Sealed(frozenset(r[0] for r in hidden), frozenset(r[0] for r in battles))

    async def community(self, ref: str) -> CommunityRecord | None:
        """A community by its number (as in /c/1/) or its key (telegram:-100…)."""
        query = select(communities.c.id)
        if ref.isdigit() and len(ref) < 10:
            query = query.where(communities.c.id == int(ref))
        else:
            query = query.where(communities.c.key == ref)
        async with self.db.read() as conn:
            found = await conn.scalar(query)
        return None if found is None else await self.communities.get(found, fresh=True)

    async def proposals(
        self, community_id: int, *, status: str, limit: int = 50
    ) -> list[ProposalRecord]:
        query = (
            select(proposals)
            .where(proposals.c.community_id == community_id, proposals.c.status == status)
            .order_by(proposals.c.number.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [ProposalRecord.from_row(row) for row in await conn.execute(query)]

    async def proposal(self, community_id: int, number: int) -> ProposalRecord | None:
        query = select(proposals).where(
            proposals.c.community_id == community_id, proposals.c.number == number
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return ProposalRecord.from_row(row) if row else None

    async def ballot_count(self, proposal_id: int) -> int:
        async with self.db.read() as conn:
            total = await conn.scalar(
                select(func.count())
                .select_from(ballots)
                .where(ballots.c.proposal_id == proposal_id)
            )
        return int(total or 0)

    async def ballots(self, proposal_id: int, *, limit: int | None = None) -> list[PublicBallot]:
        """A proposal's counted ballots with their voters' display names, oldest first."""
        query = (
            select(
                ballots.c.member_id,
                members.c.display_name,
                ballots.c.receipt,
                ballots.c.selection,
                ballots.c.weight,
                ballots.c.cast_at,
                ballots.c.signature,
            )
            .select_from(ballots.join(members, members.c.id == ballots.c.member_id))
            .where(ballots.c.proposal_id == proposal_id)
            .order_by(ballots.c.cast_at, ballots.c.member_id)
        )
        if limit is not None:
            query = query.limit(limit)
        async with self.db.read() as conn:
            rows = await conn.execute(query)
            return [
                PublicBallot(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6] is not None)
                for r in rows
            ]

    async def names(self, member_ids: set[int]) -> dict[int, str]:
        if not member_ids:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(members.c.id, members.c.display_name).where(members.c.id.in_(member_ids))
            )
            return {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------------ exports

    async def all_proposals(self, batch: int = 1000) -> AsyncIterator[ProposalRecord]:
        last = 0
        while True:
            async with self.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(proposals)
                        .where(proposals.c.id > last)
                        .order_by(proposals.c.id)
                        .limit(batch)
                    )
                ).all()
            if not rows:
                return
            for row in rows:
                record = ProposalRecord.from_row(row)
                last = record.id
                yield record

    async def all_ballots(self, batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
        """Every counted ballot with its proposal's number, status and hidden flag."""
        last = (0, 0)
        columns = (
            ballots.c.proposal_id,
            ballots.c.member_id,
            proposals.c.community_id,
            proposals.c.number,
            proposals.c.status,
            proposals.c.hidden,
            members.c.display_name,
            ballots.c.selection,
            ballots.c.weight,
            ballots.c.cast_at,
            ballots.c.receipt,
            ballots.c.signature,
        )
        names = [c.name if c.name != "display_name" else "voter_name" for c in columns]
        names[2], names[3], names[4] = "community_id", "number", "status"
        while True:
            query = (
                select(*columns)
                .select_from(
                    ballots.join(proposals, proposals.c.id == ballots.c.proposal_id).join(
                        members, members.c.id == ballots.c.member_id
                    )
                )
                .where(
                    (ballots.c.proposal_id > last[0])
                    | ((ballots.c.proposal_id == last[0]) & (ballots.c.member_id > last[1]))
                )
                .order_by(ballots.c.proposal_id, ballots.c.member_id)
                .limit(batch)
            )
            async with self.db.read() as conn:
                rows = (await conn.execute(query)).all()
            if not rows:
                return
            for row in rows:
                last = (row[0], row[1])
                yield dict(zip(names, row, strict=True))

    async def all_battles(self, batch: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every arena battle with its number of ratings (outputs and prompts left out)."""
        last = 0
        ratings = (
            select(arena_votes.c.battle_id, func.count().label("ratings"))
            .group_by(arena_votes.c.battle_id)
            .subquery()
        )
        while True:
            query = (
                select(
                    arena_battles.c.id,
                    arena_battles.c.community_id,
                    arena_battles.c.status,
                    arena_battles.c.model_a,
                    arena_battles.c.model_b,
                    arena_battles.c.author_id,
                    arena_battles.c.created_at,
                    arena_battles.c.reveal_at,
                    arena_battles.c.revealed_at,
                    arena_battles.c.result,
                    func.coalesce(ratings.c.ratings, 0),
                )
                .select_from(
                    arena_battles.outerjoin(ratings, ratings.c.battle_id == arena_battles.c.id)
                )
                .where(arena_battles.c.id > last)
                .order_by(arena_battles.c.id)
                .limit(batch)
            )
            async with self.db.read() as conn:
                rows = (await conn.execute(query)).all()
            if not rows:
                return
            for r in rows:
                last = r[0]
                yield {
                    "id": r[0],
                    "community_id": r[1],
                    "status": r[2],
                    "model_a": r[3],
                    "model_b": r[4],
                    "author_id": r[5],
                    "created_at": r[6],
                    "reveal_at": r[7],
                    "revealed_at": r[8],
                    "result": json.loads(r[9]) if r[9] else None,
                    "ratings": int(r[10]),
                }
