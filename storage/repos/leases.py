"""Take, renew and give back leases (storage/schema_leases.py).

`acquire` runs inside `Database.write()`, which serialises writers across processes
(SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock), so the read-then-write below is
atomic: two processes asking at once get one yes and one no.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from storage.db import Database
from storage.schema_leases import leases


class LeaseRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def acquire(self, name: str, holder: str, *, now: float, ttl: float) -> bool:
        """True when `holder` now holds `name` until now + ttl (free, lapsed or its own)."""
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
                )
            ).first()
            if row is None:
                await conn.execute(
                    leases.insert().values(name=name, holder=holder, expires_at=now + ttl)
                )
                return True
            if row[0] != holder and row[1] > now:
                return False
            await conn.execute(
                update(leases)
                .where(leases.c.name == name)
                .values(holder=holder, expires_at=now + ttl)
            )
            return True

    async def release(self, name: str, holder: str) -> None:
        """Give the lease back early (only if `holder` still holds it)."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            )

    async def holder(self, name: str) -> tuple[str, float] | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
                )
            ).first()
        return (row[0], row[1]) if row else None
