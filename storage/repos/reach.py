"""Reminder bookkeeping (storage/schema_reach.py): claim a reminder once, opt members in.

`claim` is an insert that does nothing when the key exists (SQLite and PostgreSQL both
spell it ON CONFLICT DO NOTHING); the one caller whose insert took a row sends the
reminder, every other caller (a restart, another process) skips it.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.records import MemberRecord, ProposalRecord
from storage.repos.audit import AuditRepo, NewEntry
from storage.repos.communities import member_record
from storage.schema import members, proposals
from storage.schema_reach import reminder_optins, reminders_sent


class ReminderRepo:
    def __init__(self, db: Database, audit: AuditRepo) -> None:
        self.db = db
        self.audit = audit

    async def claim(self, key: str, proposal_id: int, *, at: float) -> bool:
        """True for exactly one caller per key, in any process sharing the database."""
        dialect = postgresql if self.db.dialect == "postgresql" else sqlite
        statement = (
            dialect.insert(reminders_sent)
            .values(key=key, proposal_id=proposal_id, sent_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self.db.write() as conn:
            result = await conn.execute(statement)
            return result.rowcount == 1

    async def sent(self, proposal_id: int) -> list[str]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(reminders_sent.c.key)
                .where(reminders_sent.c.proposal_id == proposal_id)
                .order_by(reminders_sent.c.key)
            )
            return [row[0] for row in rows]

    async def opening_soon(self, now: float, within: float) -> list[ProposalRecord]:
        """Open proposals that end within `within` seconds from `now` (reminder candidates)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(proposals)
                .where(
                    proposals.c.status == "open",
                    proposals.c.ends_at > now,
                    proposals.c.ends_at <= now + within,
                )
                .order_by(proposals.c.ends_at)
            )
            return [ProposalRecord.from_row(row) for row in rows]

    async def set_optin(self, member: MemberRecord, on: bool, *, at: float) -> bool:
        """Turn private reminders on or off; False when nothing changed (no audit entry)."""
        async with self.db.write() as conn:
            exists = (
                await conn.execute(
                    select(reminder_optins.c.member_id).where(
                        reminder_optins.c.member_id == member.id
                    )
                )
            ).first() is not None
            if exists == on:
                return False
            if on:
                await conn.execute(
                    reminder_optins.insert().values(
                        member_id=member.id, community_id=member.community_id, since=at
                    )
                )
            else:
                await conn.execute(
                    delete(reminder_optins).where(reminder_optins.c.member_id == member.id)
                )
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "reminders.set",
                        f"member:{member.id}",
                        {"member": member.id, "on": on},
                        member.community_id,
                        at,
                    )
                ],
            )
            return True

    async def is_opted_in(self, member_id: int) -> bool:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(reminder_optins.c.member_id).where(
                        reminder_optins.c.member_id == member_id
                    )
                )
            ).first()
            return row is not None

    async def opted_in(self, community_id: int) -> list[MemberRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(members)
                .join(reminder_optins, reminder_optins.c.member_id == members.c.id)
                .where(reminder_optins.c.community_id == community_id)
                .order_by(members.c.id)
            )
            return [member_record(row) for row in rows]
