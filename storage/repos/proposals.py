"""Proposals: opened with an audit entry, closed exactly once by a conditional update.

"Closes once" is the database's job, not a Python lock's: `UPDATE … WHERE status='open'`
inside the serialised write transaction succeeds for exactly one closer, whichever
process it runs in; every other closer sees zero rows and stands down.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import BallotRecord, ProposalRecord, dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.repos.ballots import BallotRepo
from storage.repos.communities import CommunityRepo
from storage.schema import cards, proposals

Decide = Callable[[ProposalRecord, list[BallotRecord]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class NewProposal:
    community_id: int
    title: str
    body: str
    choices: tuple[str, ...]
    method: str
    strategy: str
    snapshot: str | None
    quorum: str | None
    threshold: float | None
    hidden: bool
    profile: str | None
    author_id: int
    created_at: float
    ends_at: float
    eligible_power: float | None
    options: dict[str, Any] = field(default_factory=dict)


class ProposalRepo:
    def __init__(
        self, db: Database, audit: AuditRepo, communities: CommunityRepo, ballots: BallotRepo
    ) -> None:
        self.db = db
        self.audit = audit
        self.communities = communities
        self.ballots = ballots
        self._open: dict[tuple[int, int], ProposalRecord] = {}

    async def create(self, new: NewProposal) -> ProposalRecord:
        async with self.db.write() as conn:
            return await self.create_in(conn, new)

    async def create_in(self, conn: AsyncConnection, new: NewProposal) -> ProposalRecord:
        """`create` inside the caller's write transaction, so a feature can open a
        proposal and record what it is for (an election, a veto) atomically."""
        number = await self.communities.next_proposal_number(conn, new.community_id)
        values = {
            "community_id": new.community_id,
            "number": number,
            "title": new.title,
            "body": new.body,
            "choices": dumps(list(new.choices)),
            "method": new.method,
            "strategy": new.strategy,
            "snapshot": new.snapshot,
            "quorum": new.quorum,
            "threshold": new.threshold,
            "hidden": new.hidden,
            "profile": new.profile,
            "author_id": new.author_id,
            "status": "open",
            "created_at": new.created_at,
            "ends_at": new.ends_at,
            "eligible_power": new.eligible_power,
            "options": dumps(new.options) if new.options else None,
        }
        result = await conn.execute(proposals.insert().values(**values))
        proposal_id = result.inserted_primary_key[0]  # type: ignore[index]
        payload = {k: v for k, v in values.items() if k not in ("choices", "options")}
        payload["choices"] = list(new.choices)
        if new.options:  # kept in the log so `audit verify` can re-tally with them
            payload["options"] = new.options
        payload["id"] = proposal_id
        await self.audit.append(
            conn,
            [
                NewEntry(
                    "proposal.opened",
                    f"proposal:{proposal_id}",
                    payload,
                    new.community_id,
                    new.created_at,
                )
            ],
        )
        return await self._get(conn, proposals.c.id == proposal_id)

    async def _get(self, conn: AsyncConnection, where: Any) -> ProposalRecord:
        row = (await conn.execute(select(proposals).where(where))).one()
        return ProposalRecord.from_row(row)

    async def get(
        self, community_id: int, number: int, *, cached: bool = False
    ) -> ProposalRecord | None:
        """By per-community number. `cached=True` serves open proposals from memory: the
        hot vote path needs only their fixed fields, and every write re-checks the status
        inside its own transaction, so a stale copy can never let a late ballot in."""
        key = (community_id, number)
        if cached and key in self._open:
            return self._open[key]
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(proposals).where(
                        proposals.c.community_id == community_id, proposals.c.number == number
                    )
                )
            ).first()
        record = ProposalRecord.from_row(row) if row else None
        if record is not None and record.status == "open":
            self._open[key] = record
        else:
            self._open.pop(key, None)
        return record

    async def by_id(self, proposal_id: int) -> ProposalRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(proposals).where(proposals.c.id == proposal_id))
            ).first()
        return ProposalRecord.from_row(row) if row else None

    async def in_community(
        self, community_id: int, *, status: str | None = "open", limit: int = 25
    ) -> list[ProposalRecord]:
        query = select(proposals).where(proposals.c.community_id == community_id)
        if status is not None:
            query = query.where(proposals.c.status == status)
        query = query.order_by(proposals.c.number.desc()).limit(limit)
        async with self.db.read() as conn:
            return [ProposalRecord.from_row(row) for row in await conn.execute(query)]

    async def closed_since(
        self, community_id: int, since: float, profiles: list[str]
    ) -> list[ProposalRecord]:
        """Closed proposals of these profiles in a community, closed after `since`."""
        if not profiles:
            return []
        query = (
            select(proposals)
            .where(
                proposals.c.community_id == community_id,
                proposals.c.status == "closed",
                proposals.c.closed_at > since,
                proposals.c.profile.in_(profiles),
            )
            .order_by(proposals.c.id)
        )
        async with self.db.read() as conn:
            return [ProposalRecord.from_row(row) for row in await conn.execute(query)]

    async def all_closed(self) -> list[ProposalRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(proposals).where(proposals.c.status == "closed").order_by(proposals.c.id)
            )
            return [ProposalRecord.from_row(row) for row in rows]

    async def due(self, now: float) -> list[ProposalRecord]:
        """Open proposals whose end time has passed: the scheduler closes these."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(proposals)
                .where(proposals.c.status == "open", proposals.c.ends_at <= now)
                .order_by(proposals.c.ends_at)
            )
            return [ProposalRecord.from_row(row) for row in rows]

    async def opened_hash(self, proposal_id: int) -> str:
        """The hash of the proposal's `proposal.opened` entry: the public seed of its lots."""
        return await self.audit.hash_of("proposal.opened", f"proposal:{proposal_id}")

    async def unannounced(self) -> list[ProposalRecord]:
        """Closed proposals whose result card has not been posted yet (crash between)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(proposals).where(
                    proposals.c.status == "closed", proposals.c.announced.is_(False)
                )
            )
            return [ProposalRecord.from_row(row) for row in rows]

    async def set_body(self, proposal_id: int, body: str, *, by: int, at: float) -> None:
        async with self.db.write() as conn:
            proposal = await self._get(conn, proposals.c.id == proposal_id)
            await conn.execute(
                update(proposals).where(proposals.c.id == proposal_id).values(body=body)
            )
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "proposal.described",
                        f"proposal:{proposal_id}",
                        {"body": body, "by": by},
                        proposal.community_id,
                        at,
                    )
                ],
            )

    async def close(
        self, proposal_id: int, decide: Decide, *, at: float, by: int | None
    ) -> ProposalRecord | None:
        """Close once: tally inside the write and store the result; None if already ended."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id, proposals.c.status == "open")
                .values(status="closed", closed_at=at)
            )
            if changed.rowcount != 1:
                return None
            proposal = await self._get(conn, proposals.c.id == proposal_id)
            self._open.pop((proposal.community_id, proposal.number), None)
            ballots = await self.ballots.for_proposal(proposal_id, conn)
            result = await decide(proposal, ballots)
            [entry] = await self.audit.append(
                conn,
                [
                    NewEntry(
                        "proposal.closed",
                        f"proposal:{proposal_id}",
                        {"proposal": proposal_id, "result": result, "by": by},
                        proposal.community_id,
                        at,
                    )
                ],
            )
            await conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id)
                .values(result=dumps(result), result_hash=entry.hash)
            )
            return await self._get(conn, proposals.c.id == proposal_id)

    async def cancel(self, proposal_id: int, *, at: float, by: int) -> ProposalRecord | None:
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id, proposals.c.status == "open")
                .values(status="cancelled", closed_at=at, announced=True)
            )
            if changed.rowcount != 1:
                return None
            proposal = await self._get(conn, proposals.c.id == proposal_id)
            self._open.pop((proposal.community_id, proposal.number), None)
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "proposal.cancelled",
                        f"proposal:{proposal_id}",
                        {"proposal": proposal_id, "by": by},
                        proposal.community_id,
                        at,
                    )
                ],
            )
            return proposal

    async def claim_announcement(self, proposal_id: int) -> bool:
        """True for exactly one caller (any process): that one posts the result card."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id, proposals.c.announced.is_(False))
                .values(announced=True)
            )
            return changed.rowcount == 1


class CardRepo:
    """Where each live card was posted, per platform, so it can be edited in place."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(
        self, kind: str, community_id: int, subject_id: int, platform: str, channel: str, msg: str
    ) -> None:
        key = {
            "kind": kind,
            "community_id": community_id,
            "subject_id": subject_id,
            "platform": platform,
        }
        async with self.db.write() as conn:
            await conn.execute(
                cards.delete().where(*[getattr(cards.c, k) == v for k, v in key.items()])
            )
            await conn.execute(cards.insert().values(**key, channel_id=channel, message_id=msg))

    async def find(
        self, kind: str, community_id: int, subject_id: int
    ) -> list[tuple[str, str, str]]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(cards.c.platform, cards.c.channel_id, cards.c.message_id).where(
                    cards.c.kind == kind,
                    cards.c.community_id == community_id,
                    cards.c.subject_id == subject_id,
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]
