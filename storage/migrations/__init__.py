"""Schema migrations with Alembic, applied at start-up under the cross-process write lock.

The revisions live in `versions/`, one per schema version: `vNNN_name.py` with revision
id `vNNN`, each revising the one before, each with its DDL written out (a revision never
imports `storage.schema*`, which describe today's tables, not that version's). A fresh
database runs them all from empty, so every database, however old, reaches the same
schema by the same steps.

Alembic runs programmatically, with no alembic.ini: `alembic_config()` builds the
`Config` in code and `env.py` migrates on the connection handed to it. Everything
happens inside one `Database.write()` transaction (SQLite `BEGIN IMMEDIATE`,
PostgreSQL `pg_advisory_xact_lock`), so processes starting together apply each
revision once: the first migrates, the others wait for its commit and find nothing to do.

Databases made before Alembic carry only `schema_version` (one row per version 1..N);
they are stamped with revision vNNN for their highest N and then upgraded. The table is
still written, one row per revision applied, as the record of *when* each version
arrived (`alembic_version` holds only the current one).

A database newer than this code — an Alembic revision this code does not have, or a
`schema_version` above the newest it knows — is refused with `SchemaNewerThanCode`
before anything is written: running old code on a newer schema could corrupt it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import Database

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent
REVISION_ID = re.compile(r"v(\d{3})")

# Only the columns the runner touches, so it never depends on today's table definitions.
_schema_version = sa.table(
    "schema_version",
    sa.column("version", sa.Integer),
    sa.column("name", sa.String),
    sa.column("applied_at", sa.Float),
)
_alembic_version = sa.table("alembic_version", sa.column("version_num", sa.String))


class MigrationError(RuntimeError):
    """The database's schema cannot be brought up to date by this code."""


class SchemaNewerThanCode(MigrationError):
    """The database was migrated by a newer govbot; refused with nothing written."""


def alembic_config() -> Config:
    """An Alembic `Config` built in code: the revisions ship inside this package."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def revision_of(version: int) -> str:
    return f"v{version:03d}"


def version_of(revision: str) -> int:
    match = REVISION_ID.fullmatch(revision)
    if match is None:
        raise MigrationError(f"revision id {revision!r} is not of the form vNNN")
    return int(match[1])


def revision_chain(script: ScriptDirectory) -> list[str]:
    """The revision ids from first to newest; they must be one chain v001, v002, …

    Version numbers are what `schema_version` stores and what a pre-Alembic database is
    stamped from, so the chain is kept linear and numbered without gaps.
    """
    scripts = list(reversed(list(script.walk_revisions())))
    ids = [s.revision for s in scripts]
    expected = [revision_of(n) for n in range(1, len(ids) + 1)]
    parents = [s.down_revision for s in scripts]
    if ids != expected or parents != [None, *expected[:-1]] or len(script.get_heads()) != 1:
        pairs = ", ".join(f"{i}<-{p}" for i, p in zip(ids, parents, strict=True))
        raise MigrationError(f"revisions must form one chain v001 <- v002 <- …; found {pairs}")
    return ids


REVISIONS = revision_chain(script_directory())
HEAD = REVISIONS[-1]
LATEST = version_of(HEAD)


def _alembic_heads(conn: Connection) -> list[str]:
    if not sa.inspect(conn).has_table("alembic_version"):
        return []
    return list(conn.execute(sa.select(_alembic_version.c.version_num)).scalars())


def _legacy_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table("schema_version"):
        return set()
    return set(conn.execute(sa.select(_schema_version.c.version)).scalars())


def _too_new(what: str) -> SchemaNewerThanCode:
    return SchemaNewerThanCode(
        f"the database schema is {what}, newer than this govbot knows (newest {HEAD}, "
        f"version {LATEST}): it was migrated by a newer release. Run that release, or "
        "restore a backup taken before the upgrade; nothing was changed."
    )


def _starting_point(conn: Connection) -> tuple[str | None, str | None]:
    """(current revision, revision to stamp first); refuses a database newer than the code."""
    heads = _alembic_heads(conn)
    unknown = [head for head in heads if head not in REVISIONS]
    if unknown:
        raise _too_new(f"at revision {', '.join(sorted(unknown))}")
    legacy = _legacy_versions(conn)
    newer = sorted(v for v in legacy if v > LATEST)
    if newer:
        raise _too_new(f"at version {newer[-1]} (schema_version)")
    if len(heads) > 1:
        raise MigrationError(f"the database has several revisions at once: {sorted(heads)}")
    if heads:
        return heads[0], None
    if not legacy:
        return None, None  # a fresh database: every revision runs from empty
    top = max(legacy)
    if legacy != set(range(1, top + 1)):
        raise MigrationError(
            f"schema_version lists versions {sorted(legacy)}: with a gap it is unclear "
            "which changes this database has"
        )
    return revision_of(top), revision_of(top)


def _apply(conn: Connection) -> list[int]:
    current, stamp = _starting_point(conn)
    if current == HEAD and stamp is None:
        return []
    script = script_directory()
    applied: list[int] = []

    def record(*, step: MigrationInfo, **_: Any) -> None:
        if step.is_stamp or not step.is_upgrade or step.up_revision_id is None:
            return
        version = version_of(step.up_revision_id)
        name = script.get_revision(step.up_revision_id).doc.strip()[:100]
        conn.execute(
            _schema_version.insert().values(version=version, name=name, applied_at=time.time())
        )
        applied.append(version)

    config = alembic_config()
    config.attributes["connection"] = conn
    config.attributes["on_version_apply"] = [record]
    if stamp is not None:
        log.info("pre-Alembic database at version %s: stamped %s", version_of(stamp), stamp)
        command.stamp(config, stamp)
    if current != HEAD:
        command.upgrade(config, HEAD)
    return applied


# Alembic keeps the running migration in module globals (`alembic.op`, `alembic.context`),
# and the sync code inside `run_sync` yields to the event loop at every statement, so two
# databases migrating at once in one process would run each other's operations. One
# migration at a time per event loop; other processes are kept out by `Database.write()`.
_one_at_a_time: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _loop_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _one_at_a_time.get(loop)
    if lock is None:
        lock = _one_at_a_time[loop] = asyncio.Lock()
    return lock


async def migrate(db: Database) -> list[int]:
    """Bring the schema up to date; returns the versions applied now.

    Raises `SchemaNewerThanCode` (nothing written) for a database newer than this code.
    """
    async with _loop_lock(), db.write() as conn:
        done = await conn.run_sync(_apply)
    if done:
        log.info("schema migrated versions=%s", done)
    return done


__all__ = [
    "HEAD",
    "LATEST",
    "REVISIONS",
    "MigrationError",
    "SchemaNewerThanCode",
    "alembic_config",
    "migrate",
]
