"""Councils: the council aggregate (council, elections, candidacies, seats, notices).

Every change is one write transaction with its audit entries (`council.*`) and, where
members should hear of it, a row in the notices outbox, so a change and its
announcement are never separated by a crash. Transitions are conditional updates on
the current status (`… WHERE status = 'nominating'`), so when several processes run the
council job on one database each step happens once.

Texts of notices are rendered by the caller (storage knows no chat wording); where a
text depends on what the transaction creates (a proposal number, the seats that really
ended), the caller passes a function that renders it inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import ProposalRecord, dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.repos.council_records import (
    CandidacyRecord,
    CouncilRecord,
    ElectionRecord,
    NewCouncil,
    NewElection,
    Notice,
    NoticeRecord,
    Placement,
    SeatRecord,
    council_payload,
    council_subject,
    election_payload,
    seat_payload,
)
from storage.repos.proposals import NewProposal, ProposalRepo
from storage.schema_councils import (
    council_candidacies,
    council_elections,
    council_notices,
    council_seats,
    councils,
)

IN_PROGRESS = ("nominating", "voting")


class CouncilStore:
    """What every council repository shares: its connections, audit entries, notices."""

    def __init__(self, db: Database, audit: AuditRepo, proposals: ProposalRepo) -> None:
        self.db = db
        self.audit = audit
        self.proposals = proposals  # proposals a council opens go through `create_in`

    def _entry(
        self, council: CouncilRecord, kind: str, payload: dict[str, Any], at: float
    ) -> NewEntry:
        return NewEntry(
            kind,
            council_subject(council.id),
            {"council": council.id, **payload},
            council.community_id,
            at,
        )

    async def _log(
        self,
        conn: AsyncConnection,
        council: CouncilRecord,
        kind: str,
        payload: dict[str, Any],
        at: float,
    ) -> None:
        await self.audit.append(conn, [self._entry(council, kind, payload, at)])

    async def _notify(
        self, conn: AsyncConnection, council: CouncilRecord, notices: Sequence[Notice], at: float
    ) -> None:
        rows = [
            {
                "council_id": council.id,
                "community_id": council.community_id,
                "kind": n.kind,
                "text": n.text,
                "proposal_id": n.proposal_id,
                "created_at": at,
            }
            for n in notices
        ]
        if rows:
            await conn.execute(council_notices.insert(), rows)

    async def _council(self, conn: AsyncConnection, council_id: int) -> CouncilRecord:
        row = (await conn.execute(select(councils).where(councils.c.id == council_id))).one()
        return CouncilRecord.from_row(row)

    async def _election(self, conn: AsyncConnection, election_id: int) -> ElectionRecord:
        row = (
            await conn.execute(
                select(council_elections).where(council_elections.c.id == election_id)
            )
        ).one()
        return ElectionRecord.from_row(row)

    async def _insert_election(
        self, conn: AsyncConnection, council: CouncilRecord, new: NewElection, at: float
    ) -> ElectionRecord:
        status = "nominating" if new.nomination_closes is not None else "pending"
        result = await conn.execute(
            council_elections.insert().values(
                council_id=council.id,
                community_id=council.community_id,
                kind=new.kind,
                cohort=new.cohort,
                seats=new.seats,
                term_start=new.term_start,
                term_end=new.term_end,
                status=status,
                nomination_closes=new.nomination_closes,
                seat_id=new.seat_id,
                created_at=at,
            )
        )
        election = await self._election(conn, result.inserted_primary_key[0])  # type: ignore[index]
        kind = "council.nomination_opened" if status == "nominating" else "council.by_election"
        await self._log(conn, council, kind, election_payload(election), at)
        return election


class CouncilRepo(CouncilStore):
    """Councils, their seats, elections and candidacies, and the notices outbox."""

    # ----- councils --------------------------------------------------------------------
    async def create(
        self,
        new: NewCouncil,
        first: NewElection,
        notices: Callable[[CouncilRecord], list[Notice]],
        *,
        at: float,
    ) -> CouncilRecord | None:
        """The council and its first nomination window; None if the name is taken."""
        key = new.name.casefold()
        async with self.db.write() as conn:
            taken = await conn.scalar(
                select(councils.c.id).where(
                    councils.c.community_id == new.community_id, councils.c.key == key
                )
            )
            if taken is not None:
                return None
            result = await conn.execute(
                councils.insert().values(
                    community_id=new.community_id,
                    name=new.name,
                    key=key,
                    seats=new.seats,
                    term_days=new.term_days,
                    method=new.method,
                    options=dumps(new.options),
                    cohorts=new.cohorts,
                    electorate=new.electorate,
                    nomination_hours=new.nomination_hours,
                    voting_hours=new.voting_hours,
                    min_reputation=new.min_reputation,
                    require_wallet=new.require_wallet,
                    powers=dumps(new.powers),
                    home_platform=new.home.platform,
                    home_space=new.home.space_id,
                    home_channel=new.home.channel_id,
                    home_thread=new.home.thread_id,
                    created_by=new.created_by,
                    created_at=at,
                )
            )
            council = await self._council(conn, result.inserted_primary_key[0])  # type: ignore[index]
            await self._log(conn, council, "council.created", council_payload(council), at)
            await self._insert_election(conn, council, first, at)
            await self._notify(conn, council, notices(council), at)
            return council

    async def configure(
        self, council_id: int, powers: dict[str, Any], *, by: int, at: float
    ) -> CouncilRecord:
        async with self.db.write() as conn:
            council = await self._council(conn, council_id)
            await conn.execute(
                update(councils).where(councils.c.id == council_id).values(powers=dumps(powers))
            )
            await self._log(conn, council, "council.configured", {"powers": powers, "by": by}, at)
            return await self._council(conn, council_id)

    async def get(self, council_id: int) -> CouncilRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(councils).where(councils.c.id == council_id))).first()
        return CouncilRecord.from_row(row) if row else None

    async def by_name(self, community_id: int, name: str) -> CouncilRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(councils).where(
                        councils.c.community_id == community_id,
                        councils.c.key == name.strip().casefold(),
                    )
                )
            ).first()
        return CouncilRecord.from_row(row) if row else None

    async def in_community(self, community_id: int) -> list[CouncilRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(councils)
                .where(councils.c.community_id == community_id)
                .order_by(councils.c.id)
            )
            return [CouncilRecord.from_row(r) for r in rows]

    async def every(self) -> list[CouncilRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(councils).order_by(councils.c.id))
            return [CouncilRecord.from_row(r) for r in rows]

    # ----- seats -----------------------------------------------------------------------
    async def seats(self, council_id: int) -> list[SeatRecord]:
        """Every seat the council ever had, in order."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(council_seats)
                .where(council_seats.c.council_id == council_id)
                .order_by(council_seats.c.id)
            )
            return [SeatRecord.from_row(r) for r in rows]

    async def active_seats(self, council_id: int, now: float) -> list[SeatRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(council_seats)
                .where(
                    council_seats.c.council_id == council_id,
                    council_seats.c.ended_at.is_(None),
                    council_seats.c.term_start <= now,
                    council_seats.c.term_end > now,
                )
                .order_by(council_seats.c.id)
            )
            return [SeatRecord.from_row(r) for r in rows]

    async def seat(self, seat_id: int) -> SeatRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(council_seats).where(council_seats.c.id == seat_id))
            ).first()
        return SeatRecord.from_row(row) if row else None

    async def open_seats(self) -> list[SeatRecord]:
        """Seats of every council whose end is not recorded yet (the job's scan)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(council_seats)
                .where(council_seats.c.ended_at.is_(None))
                .order_by(council_seats.c.id)
            )
            return [SeatRecord.from_row(r) for r in rows]

    async def all_seats(self) -> list[SeatRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(council_seats).order_by(council_seats.c.id))
            return [SeatRecord.from_row(r) for r in rows]

    async def end_terms(
        self, council_id: int, now: float, notices: Callable[[list[SeatRecord]], list[Notice]]
    ) -> list[SeatRecord]:
        """Close every seat whose term has run out (at its term end); the seats ended."""
        async with self.db.write() as conn:
            council = await self._council(conn, council_id)
            rows = await conn.execute(
                select(council_seats).where(
                    council_seats.c.council_id == council_id,
                    council_seats.c.ended_at.is_(None),
                    council_seats.c.term_end <= now,
                )
            )
            due = [SeatRecord.from_row(r) for r in rows]
            ended: list[SeatRecord] = []
            for seat in due:
                changed = await conn.execute(
                    update(council_seats)
                    .where(council_seats.c.id == seat.id, council_seats.c.ended_at.is_(None))
                    .values(ended_at=seat.term_end, end_reason="term")
                )
                if changed.rowcount != 1:
                    continue
                ended.append(seat)
                payload = {"seat": seat.id, "member": seat.member_id, "term_end": seat.term_end}
                await self._log(conn, council, "council.term_ended", payload, now)
            if ended:
                await self._notify(conn, council, notices(ended), now)
            return ended

    # ----- elections -------------------------------------------------------------------
    async def elections(self, council_id: int) -> list[ElectionRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(council_elections)
                .where(council_elections.c.council_id == council_id)
                .order_by(council_elections.c.id)
            )
            return [ElectionRecord.from_row(r) for r in rows]

    async def all_elections(self) -> list[ElectionRecord]:
        """Every election of every council (the job's one read per run)."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(council_elections).order_by(council_elections.c.id))
            return [ElectionRecord.from_row(r) for r in rows]

    async def election(self, election_id: int) -> ElectionRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(council_elections).where(council_elections.c.id == election_id)
                )
            ).first()
        return ElectionRecord.from_row(row) if row else None

    async def election_by_proposal(self, proposal_id: int) -> ElectionRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(council_elections).where(council_elections.c.proposal_id == proposal_id)
                )
            ).first()
        return ElectionRecord.from_row(row) if row else None

    async def open_election(
        self,
        council_id: int,
        new: NewElection,
        notices: Callable[[ElectionRecord], list[Notice]],
        *,
        at: float,
    ) -> ElectionRecord | None:
        """A new nomination window, unless an election of this council is already under
        way (one at a time, so /stand always means one election)."""
        async with self.db.write() as conn:
            council = await self._council(conn, council_id)
            busy = await conn.scalar(
                select(council_elections.c.id).where(
                    council_elections.c.council_id == council_id,
                    council_elections.c.status.in_(IN_PROGRESS),
                )
            )
            if busy is not None:
                return None
            election = await self._insert_election(conn, council, new, at)
            await self._notify(conn, council, notices(election), at)
            return election

    async def start_pending(
        self,
        election_id: int,
        closes: float,
        notices: Callable[[ElectionRecord], list[Notice]],
        *,
        at: float,
    ) -> ElectionRecord | None:
        """Open a scheduled by-election's nominations (when no other election runs)."""
        async with self.db.write() as conn:
            election = await self._election(conn, election_id)
            busy = await conn.scalar(
                select(council_elections.c.id).where(
                    council_elections.c.council_id == election.council_id,
                    council_elections.c.status.in_(IN_PROGRESS),
                )
            )
            if busy is not None:
                return None
            changed = await conn.execute(
                update(council_elections)
                .where(
                    council_elections.c.id == election_id, council_elections.c.status == "pending"
                )
                .values(status="nominating", nomination_closes=closes, created_at=at)
            )
            if changed.rowcount != 1:
                return None
            council = await self._council(conn, election.council_id)
            opened = await self._election(conn, election_id)
            await self._log(
                conn, council, "council.nomination_opened", election_payload(opened), at
            )
            await self._notify(conn, council, notices(opened), at)
            return opened

    async def candidacies(self, election_id: int, *, active: bool = True) -> list[CandidacyRecord]:
        """Who stood, in the order they stood (the order of the ballot's choices)."""
        query = select(council_candidacies).where(council_candidacies.c.election_id == election_id)
        if active:
            query = query.where(council_candidacies.c.withdrawn_at.is_(None))
        query = query.order_by(council_candidacies.c.seq)
        async with self.db.read() as conn:
            return [
                CandidacyRecord(r.election_id, r.member_id, r.name, r.stood_at, r.withdrawn_at)
                for r in await conn.execute(query)
            ]

    async def stand(
        self, election_id: int, member_id: int, name: str, *, at: float, limit: int
    ) -> str | None:
        """Record a candidacy; the reason it was refused, or None.

        Re-checked inside the write, so two quick /stand never both count and nobody
        stands in an election whose nominations just closed."""
        async with self.db.write() as conn:
            election = await self._election(conn, election_id)
            if election.status != "nominating" or (election.nomination_closes or 0) <= at:
                return "closed"
            row = (
                await conn.execute(
                    select(council_candidacies).where(
                        council_candidacies.c.election_id == election_id,
                        council_candidacies.c.member_id == member_id,
                    )
                )
            ).first()
            if row is not None and row.withdrawn_at is None:
                return "standing"
            standing = await conn.scalar(
                select(council_candidacies.c.member_id)
                .where(
                    council_candidacies.c.election_id == election_id,
                    council_candidacies.c.withdrawn_at.is_(None),
                )
                .limit(1)
                .offset(limit - 1)
            )
            if standing is not None:
                return "full"
            seq = 1 + int(
                await conn.scalar(
                    select(func.coalesce(func.max(council_candidacies.c.seq), 0)).where(
                        council_candidacies.c.election_id == election_id
                    )
                )
                or 0
            )
            if row is None:
                await conn.execute(
                    council_candidacies.insert().values(
                        election_id=election_id,
                        member_id=member_id,
                        name=name,
                        seq=seq,
                        stood_at=at,
                    )
                )
            else:  # stood, withdrew, stands again: at the back of the list
                await conn.execute(
                    update(council_candidacies)
                    .where(
                        council_candidacies.c.election_id == election_id,
                        council_candidacies.c.member_id == member_id,
                    )
                    .values(name=name, seq=seq, stood_at=at, withdrawn_at=None)
                )
            council = await self._council(conn, election.council_id)
            payload = {"election": election_id, "member": member_id, "name": name}
            await self._log(conn, council, "council.candidate", payload, at)
            return None

    async def withdraw(self, election_id: int, member_id: int, *, at: float) -> bool:
        async with self.db.write() as conn:
            election = await self._election(conn, election_id)
            if election.status != "nominating":
                return False
            changed = await conn.execute(
                update(council_candidacies)
                .where(
                    council_candidacies.c.election_id == election_id,
                    council_candidacies.c.member_id == member_id,
                    council_candidacies.c.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=at)
            )
            if changed.rowcount != 1:
                return False
            council = await self._council(conn, election.council_id)
            payload = {"election": election_id, "member": member_id}
            await self._log(conn, council, "council.withdrawn", payload, at)
            return True

    async def extend(
        self,
        election_id: int,
        closes: float,
        candidates: int,
        notices: Sequence[Notice],
        *,
        at: float,
    ) -> bool:
        """Keep nominations open once more (too few candidates); False if done already."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_elections)
                .where(
                    council_elections.c.id == election_id,
                    council_elections.c.status == "nominating",
                    council_elections.c.extended.is_(False),
                )
                .values(extended=True, nomination_closes=closes)
            )
            if changed.rowcount != 1:
                return False
            election = await self._election(conn, election_id)
            council = await self._council(conn, election.council_id)
            payload = {"election": election_id, "closes": closes, "candidates": candidates}
            await self._log(conn, council, "council.nomination_extended", payload, at)
            await self._notify(conn, council, notices, at)
            return True

    async def open_vote(
        self,
        election_id: int,
        proposal: NewProposal,
        candidates: list[int],
        notices: Callable[[ProposalRecord], list[Notice]],
        *,
        at: float,
    ) -> ProposalRecord | None:
        """Nominations close; the election's proposal opens with the candidates as its
        choices (same transaction: there is never an election without its proposal)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_elections)
                .where(
                    council_elections.c.id == election_id,
                    council_elections.c.status == "nominating",
                )
                .values(status="voting", candidates=dumps(candidates))
            )
            if changed.rowcount != 1:
                return None
            opened = await self.proposals.create_in(conn, proposal)
            await conn.execute(
                update(council_elections)
                .where(council_elections.c.id == election_id)
                .values(proposal_id=opened.id)
            )
            election = await self._election(conn, election_id)
            council = await self._council(conn, election.council_id)
            payload = {"election": election_id, "proposal": opened.id, "candidates": candidates}
            await self._log(conn, council, "council.election_opened", payload, at)
            await self._notify(conn, council, notices(opened), at)
            return opened

    async def seat_winners(
        self,
        election_id: int,
        placements: Sequence[Placement],
        *,
        proposal_id: int | None,
        outcome: str,
        term_start: float,
        term_end: float,
        notices: Callable[[list[SeatRecord]], list[Notice]],
        at: float,
    ) -> list[SeatRecord] | None:
        """The election ends: its winners take their seats (None if it ended already)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_elections)
                .where(
                    council_elections.c.id == election_id,
                    council_elections.c.status.in_(IN_PROGRESS),
                )
                .values(status="seated", finished_at=at, term_start=term_start, term_end=term_end)
            )
            if changed.rowcount != 1:
                return None
            election = await self._election(conn, election_id)
            council = await self._council(conn, election.council_id)
            seated: list[SeatRecord] = []
            for placement in placements:
                values: dict[str, Any] = {
                    "council_id": council.id,
                    "community_id": council.community_id,
                    "member_id": placement.member_id,
                    "cohort": placement.cohort,
                    "term_start": placement.term_start,
                    "term_end": placement.term_end,
                    "election_id": election_id,
                    "proposal_id": proposal_id,
                    "seated_at": at,
                }
                result = await conn.execute(council_seats.insert().values(**values))
                seat_id = result.inserted_primary_key[0]  # type: ignore[index]
                seated.append(SeatRecord(id=seat_id, ended_at=None, end_reason=None, **values))
            payload = {
                "election": election_id,
                "proposal": proposal_id,
                "outcome": outcome,
                "seated": [s.member_id for s in seated],
                "vacancies": election.seats - len(seated),
            }
            entries = [self._entry(council, "council.seated", seat_payload(s), at) for s in seated]
            entries.append(self._entry(council, "council.election_closed", payload, at))
            await self.audit.append(conn, entries)  # one append: one read of the chain head
            await self._notify(conn, council, notices(seated), at)
            return seated

    async def fail_election(
        self, election_id: int, reason: str, notices: Sequence[Notice], *, at: float
    ) -> bool:
        """An election that cannot be decided (its proposal was cancelled, a by-election
        with too little term left): it ends without seating anyone."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(council_elections)
                .where(
                    council_elections.c.id == election_id,
                    council_elections.c.status.in_((*IN_PROGRESS, "pending")),
                )
                .values(status="failed", finished_at=at)
            )
            if changed.rowcount != 1:
                return False
            election = await self._election(conn, election_id)
            council = await self._council(conn, election.council_id)
            payload = {"election": election_id, "reason": reason}
            await self._log(conn, council, "council.election_failed", payload, at)
            await self._notify(conn, council, notices, at)
            return True

    # ----- notices ---------------------------------------------------------------------
    async def claim_notices(self, *, at: float, limit: int = 100) -> list[NoticeRecord]:
        """Unposted notices, each claimed by exactly one caller (any process)."""
        if not await self.pending_notices():  # the usual run: no write transaction at all
            return []
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    select(council_notices)
                    .where(council_notices.c.posted_at.is_(None))
                    .order_by(council_notices.c.id)
                    .limit(limit)
                )
            ).all()
            if not rows:
                return []
            await conn.execute(
                update(council_notices)
                .where(council_notices.c.id.in_([r.id for r in rows]))
                .values(posted_at=at)
            )
            return [
                NoticeRecord(
                    r.id, r.council_id, r.community_id, r.kind, r.text, r.proposal_id, r.created_at
                )
                for r in rows
            ]

    async def pending_notices(self) -> int:
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(council_notices)
                .where(council_notices.c.posted_at.is_(None))
            )
            return int(found or 0)


__all__ = [
    "CandidacyRecord",
    "CouncilRecord",
    "CouncilRepo",
    "CouncilStore",
    "ElectionRecord",
    "NewCouncil",
    "NewElection",
    "Notice",
    "NoticeRecord",
    "Placement",
    "SeatRecord",
]
