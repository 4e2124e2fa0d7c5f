"""Which platform events were already handled (storage/schema_deliveries.py).

Marking an event done is group-committed like ballots: a burst of updates answered
together shares one transaction and one sync. `record` and `outcomes` run inside the
caller's own write transaction, so an effect and the note that it happened commit or
vanish together.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.records import dumps
from storage.schema_deliveries import deliveries


class DeliveryRepo:
    def __init__(self, db: Database, *, max_batch: int = 1000) -> None:
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._done: GroupCommitter[str, None] = GroupCommitter(self._mark_many, max_batch=max_batch)

    async def seen(self, keys: Sequence[str]) -> dict[str, bool]:
        """For each key already recorded: True when done, False when only its effect is."""
        if not keys:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(deliveries.c.key, deliveries.c.done).where(deliveries.c.key.in_(set(keys)))
            )
            return {row[0]: bool(row[1]) for row in rows}

    async def mark_done(self, key: str) -> None:
        """Note that this event was handled and answered; returns once committed."""
        await self._done.submit(key)

    async def drain(self) -> None:
        await self._done.drain()

    async def _mark_many(self, keys: list[str]) -> list[None]:
        now = time.time()
        rows = [{"key": key, "done": True, "at": now} for key in dict.fromkeys(keys)]
        async with self.db.write() as conn:
            stmt = self._insert(deliveries)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["key"], set_={"done": stmt.excluded.done}
                ),
                rows,
            )
        return [None] * len(keys)

    async def outcomes(self, conn: AsyncConnection, keys: set[str]) -> dict[str, Any]:
        """Inside a write: what the effects of these keys returned when they were applied."""
        if not keys:
            return {}
        rows = await conn.execute(
            select(deliveries.c.key, deliveries.c.outcome).where(
                deliveries.c.key.in_(keys), deliveries.c.outcome.is_not(None)
            )
        )
        return {row[0]: json.loads(row[1]) for row in rows}

    async def record(self, conn: AsyncConnection, outcomes: dict[str, Any]) -> None:
        """Inside the effect's own write: remember each key's outcome (not yet done)."""
        if not outcomes:
            return
        now = time.time()
        stmt = self._insert(deliveries)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["key"], set_={"outcome": stmt.excluded.outcome}
            ),
            [
                {"key": key, "outcome": dumps(value), "done": False, "at": now}
                for key, value in outcomes.items()
            ],
        )

    async def prune(self, before: float) -> int:
        """Forget keys recorded before `before` (epoch seconds); returns how many."""
        async with self.db.write() as conn:
            result = await conn.execute(delete(deliveries).where(deliveries.c.at < before))
        return int(result.rowcount or 0)
