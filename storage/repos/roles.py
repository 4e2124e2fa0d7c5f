"""Role states (storage/schema_roles.py): the last thing the bot did per member and role.

`record` changes a row and appends its `role.changed` audit entry in one write, and
does nothing when the state is already the one asked for, so repeated re-checks and
several processes sharing the database leave one entry per real change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from storage.db import Database
from storage.records import MemberRecord
from storage.repos.audit import AuditRepo, NewEntry
from storage.repos.communities import member_record
from storage.schema import members
from storage.schema_roles import role_states


@dataclass(frozen=True, slots=True)
class RoleState:
    member_id: int
    role: str
    community_id: int
    platform: str
    target: str
    state: str
    reason: str
    updated_at: float


def _state(row: Any) -> RoleState:
    m = row._mapping
    return RoleState(
        m["member_id"],
        m["role"],
        m["community_id"],
        m["platform"],
        m["target"],
        m["state"],
        m["reason"],
        m["updated_at"],
    )


class RoleStateRepo:
    def __init__(self, db: Database, audit: AuditRepo) -> None:
        self.db = db
        self.audit = audit

    async def get(self, member_id: int, role: str) -> RoleState | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(role_states).where(
                        role_states.c.member_id == member_id, role_states.c.role == role
                    )
                )
            ).first()
        return _state(row) if row else None

    async def record(self, change: RoleState) -> bool:
        """Set the state (and audit it); False when it already was that state."""
        async with self.db.write() as conn:
            key = (role_states.c.member_id == change.member_id) & (
                role_states.c.role == change.role
            )
            row = (await conn.execute(select(role_states).where(key))).first()
            if row is not None and row._mapping["state"] == change.state:
                return False
            values = {
                "community_id": change.community_id,
                "platform": change.platform,
                "target": change.target,
                "state": change.state,
                "reason": change.reason[:300],
                "updated_at": change.updated_at,
            }
            if row is None:
                await conn.execute(
                    role_states.insert().values(
                        member_id=change.member_id, role=change.role, **values
                    )
                )
            else:
                await conn.execute(update(role_states).where(key).values(**values))
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "role.changed",
                        f"member:{change.member_id}",
                        {
                            "member": change.member_id,
                            "role": change.role,
                            "platform": change.platform,
                            "target": change.target,
                            "state": change.state,
                            "reason": change.reason[:300],
                        },
                        change.community_id,
                        change.updated_at,
                    )
                ],
            )
            return True

    async def in_states(self, role: str, states: tuple[str, ...]) -> list[RoleState]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(role_states)
                .where(role_states.c.role == role, role_states.c.state.in_(states))
                .order_by(role_states.c.member_id)
            )
            return [_state(r) for r in rows]

    async def every(self) -> list[RoleState]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(role_states).order_by(role_states.c.member_id, role_states.c.role)
            )
            return [_state(r) for r in rows]

    async def count(self) -> int:
        async with self.db.read() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(role_states))).scalar_one()
            )

    async def members_on(self, platform: str) -> list[MemberRecord]:
        """Every member account on `platform` (the re-check's candidates)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(members).where(members.c.platform == platform).order_by(members.c.id)
            )
            return [member_record(r) for r in rows]
