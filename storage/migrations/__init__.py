"""Versioned schema changes, applied at start-up, each in its own transaction.

Each migration is a module `vNNN_name.py` in this package defining `VERSION`, `NAME`
and `upgrade(conn)` (a synchronous SQLAlchemy connection: plain DDL, `Table.create`, or
Alembic-style operations). A module that adds tables imports the schema module defining
them, so importing every migration puts every table on `schema.metadata`.

A fresh database gets the current schema in one step and is stamped with every version
(the usual "create_all, then stamp head" path); an existing one gets each pending
migration in order. Everything runs inside `Database.write()`, so two processes starting
together never apply one twice.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from storage import schema
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[Connection], None]


def discover() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("v") and info.name[1:4].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(module.VERSION, module.NAME, module.upgrade))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


MIGRATIONS = discover()
LATEST = MIGRATIONS[-1].version


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
            stamp, [{"version": m.version, "name": m.name, "applied_at": now} for m in MIGRATIONS]
        )
        return [m.version for m in MIGRATIONS]
    done = []
    for migration in MIGRATIONS:
        if migration.version not in applied:
            migration.upgrade(conn)
            conn.execute(
                stamp, {"version": migration.version, "name": migration.name, "applied_at": now}
            )
            done.append(migration.version)
    return done


async def migrate(db: Database) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    async with db.write() as conn:
        done = await conn.run_sync(_apply)
    if done:
        log.info("schema migrated versions=%s", done)
    return done
