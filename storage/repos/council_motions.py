"""Council motions: the decisions proposals take about a council — a veto of a passed
proposal, a recall of a member (which may end a seat and schedule a by-election).

Same rules as `storage/repos/councils.py`: one write transaction per change with its
audit entries and notices, conditional updates so each motion is decided once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.records import ProposalRecord
from storage.repos.council_records import (
    ElectionRecord,
    MotionRecord,
    NewElection,
    Notice,
    SeatRecord,
)
from storage.repos.councils import CouncilStore
from storage.repos.proposals import NewProposal
from storage.schema_councils import council_motions, council_seats


class CouncilMotionRepo(CouncilStore):
    # ----- motions: vetoes and recalls -------------------------------------------------
    async def open_veto(
        self,
        council_id: int,
        subject: ProposalRecord,
        proposal: NewProposal,
        *,
        needed: float,
        seats: int,
        notices: Callable[[ProposalRecord], list[Notice]],
        at: float,
    ) -> ProposalRecord | None:
        """The council's veto vote on a passed proposal (once per council and proposal)."""
        async with self.db.write() as conn:
            exists = await conn.scalar(
                select(council_motions.c.id).where(
                    council_motions.c.council_id == council_id,
                    council_motions.c.subject_proposal_id == subject.id,
                )
            )
            if exists is not None:
                return None
            opened = await self.proposals.create_in(conn, proposal)
            council = await self._council(conn, council_id)
            result = await conn.execute(
                council_motions.insert().values(
                    council_id=council_id,
                    community_id=council.community_id,
                    kind="veto",
                    proposal_id=opened.id,
                    subject_proposal_id=subject.id,
                    needed=needed,
                    status="open",
                    opened_at=at,
                )
            )
            payload = {
                "motion": result.inserted_primary_key[0],  # type: ignore[index]
                "proposal": subject.id,
                "veto_proposal": opened.id,
                "needed": needed,
                "seats": seats,
                "until": opened.ends_at,
            }
            await self._log(conn, council, "council.veto_opened", payload, at)
            await self._notify(conn, council, notices(opened), at)
            return opened

    async def open_recall(
        self, council_id: int, seat: SeatRecord, proposal: NewProposal, *, at: float
    ) -> ProposalRecord | None:
        """A community vote on unseating one member; None if one is already open."""
        async with self.db.write() as conn:
            exists = await conn.scalar(
                select(council_motions.c.id).where(
                    council_motions.c.seat_id == seat.id, council_motions.c.status == "open"
                )
            )
            if exists is not None:
                return None
            opened = await self.proposals.create_in(conn, proposal)
            council = await self._council(conn, council_id)
            result = await conn.execute(
                council_motions.insert().values(
                    council_id=council_id,
                    community_id=council.community_id,
                    kind="recall",
                    proposal_id=opened.id,
                    seat_id=seat.id,
                    status="open",
                    opened_at=at,
                )
            )
            payload = {
                "motion": result.inserted_primary_key[0],  # type: ignore[index]
                "proposal": opened.id,
                "seat": seat.id,
                "member": seat.member_id,
            }
            await self._log(conn, council, "council.recall_opened", payload, at)
            return opened

    async def motion_by_proposal(self, proposal_id: int) -> MotionRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(council_motions).where(council_motions.c.proposal_id == proposal_id)
                )
            ).first()
        return MotionRecord.from_row(row) if row else None

    async def vetoes_of(self, subject_proposal_id: int) -> list[MotionRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(council_motions)
                .where(council_motions.c.subject_proposal_id == subject_proposal_id)
                .order_by(council_motions.c.id)
            )
            return [MotionRecord.from_row(r) for r in rows]

    async def motions(
        self, council_id: int | None = None, *, status: str | None = None
    ) -> list[MotionRecord]:
        query = select(council_motions).order_by(council_motions.c.id)
        if council_id is not None:
            query = query.where(council_motions.c.council_id == council_id)
        if status is not None:
            query = query.where(council_motions.c.status == status)
        async with self.db.read() as conn:
            return [MotionRecord.from_row(r) for r in await conn.execute(query)]

    async def decide_veto(
        self,
        motion_id: int,
        *,
        vetoed: bool,
        votes_for: float,
        notices: Sequence[Notice],
        at: float,
    ) -> bool:
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_motions)
                .where(council_motions.c.id == motion_id, council_motions.c.status == "open")
                .values(status="carried" if vetoed else "failed", decided_at=at)
            )
            if changed.rowcount != 1:
                return False
            motion = await self._motion(conn, motion_id)
            council = await self._council(conn, motion.council_id)
            payload = {
                "motion": motion_id,
                "proposal": motion.subject_proposal_id,
                "veto_proposal": motion.proposal_id,
                "vetoed": vetoed,
                "votes_for": votes_for,
                "needed": motion.needed,
            }
            await self._log(conn, council, "council.veto_decided", payload, at)
            await self._notify(conn, council, notices, at)
            return True

    async def decide_recall(
        self,
        motion_id: int,
        *,
        carried: bool,
        by_election: Callable[[SeatRecord], NewElection | None],
        notices: Callable[[SeatRecord | None, ElectionRecord | None], list[Notice]],
        at: float,
    ) -> bool:
        """The recall vote closed: if it carried, the seat ends now and a by-election for
        the rest of its term is scheduled (`by_election` returns None if too little of
        the term is left to hold one)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_motions)
                .where(council_motions.c.id == motion_id, council_motions.c.status == "open")
                .values(status="carried" if carried else "failed", decided_at=at)
            )
            if changed.rowcount != 1:
                return False
            motion = await self._motion(conn, motion_id)
            council = await self._council(conn, motion.council_id)
            row = (
                await conn.execute(
                    select(council_seats).where(council_seats.c.id == motion.seat_id)
                )
            ).one()
            seat = SeatRecord.from_row(row)
            unseated: SeatRecord | None = None
            scheduled: ElectionRecord | None = None
            if carried:
                ended = await conn.execute(
                    update(council_seats)
                    .where(
                        council_seats.c.id == seat.id,
                        council_seats.c.ended_at.is_(None),
                        council_seats.c.term_end > at,
                    )
                    .values(ended_at=at, end_reason="recalled")
                )
                if ended.rowcount == 1:
                    unseated = seat
                    payload = {
                        "seat": seat.id,
                        "member": seat.member_id,
                        "reason": "recalled",
                        "proposal": motion.proposal_id,
                    }
                    await self._log(conn, council, "council.unseated", payload, at)
                    new = by_election(seat)
                    if new is not None:
                        scheduled = await self._insert_election(conn, council, new, at)
            payload = {
                "motion": motion_id,
                "proposal": motion.proposal_id,
                "seat": seat.id,
                "member": seat.member_id,
                "carried": carried,
            }
            await self._log(conn, council, "council.recall_decided", payload, at)
            await self._notify(conn, council, notices(unseated, scheduled), at)
            return True

    async def _motion(self, conn: AsyncConnection, motion_id: int) -> MotionRecord:
        row = (
            await conn.execute(select(council_motions).where(council_motions.c.id == motion_id))
        ).one()
        return MotionRecord.from_row(row)
