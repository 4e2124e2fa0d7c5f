"""Versioned schema changes, applied at start-up, each in its own transaction.

A fresh database gets the current schema in one step and is stamped with every version
(the usual "create_all, then stamp head" path); an existing one gets each pending
migration in order. Every migration is a function of a synchronous SQLAlchemy
connection, so it can use plain DDL or Alembic-style operations, and it runs inside
`Database.write()`, so two processes starting together never apply one twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from storage import schema
from storage.db import Database

log = logging.getLogger(__name__)

Migration = tuple[int, str, Callable[[Connection], None]]


def _baseline(conn: Connection) -> None:
    schema.metadata.create_all(conn)


# Append new migrations here; never edit a released one.
MIGRATIONS: list[Migration] = [
    (1, "baseline: communities, members, proposals, ballots, audit log, cards", _baseline),
]

LATEST = MIGRATIONS[-1][0]


def _applied_versions(conn: Connection) -> set[int] | None:
    if not inspect(conn).has_table("schema_version"):
        return None
    return set(conn.execute(select(schema.schema_version.c.version)).scalars())


def _apply(conn: Connection) -> list[int]:
    applied = _applied_versions(conn)
    now = time.time()
    stamp = schema.schema_version.insert()
    if applied is None:
        schema.metadata.create_all(conn)
        conn.execute(
            stamp, [{"version": v, "name": n, "applied_at": now} for v, n, _ in MIGRATIONS]
        )
        return [v for v, _, _ in MIGRATIONS]
    done = []
    for version, name, upgrade in MIGRATIONS:
        if version not in applied:
            upgrade(conn)
            conn.execute(stamp, {"version": version, "name": name, "applied_at": now})
            done.append(version)
    return done


async def migrate(db: Database) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    async with db.write() as conn:
        done = await conn.run_sync(_apply)
    if done:
        log.info("schema migrated versions=%s", done)
    return done
