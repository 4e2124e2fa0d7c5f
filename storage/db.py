"""One async database API over SQLite (aiosqlite) and PostgreSQL (asyncpg).

Why SQLAlchemy Core: the same statements run on both engines, so one repository test
suite proves both. Two kinds of transaction:

* `read()` — a plain transaction for queries.
* `write()` — the only way to change state. It serialises writers *in the database*,
  not in Python, so the rules hold across processes: SQLite takes its write lock up
  front (`BEGIN IMMEDIATE`, so two writers never deadlock on a lock upgrade), and
  PostgreSQL takes a transaction-scoped advisory lock. The audit log is one hash chain,
  so its appends need a total order anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

WRITE_LOCK_KEY = 0x60FB07  # pg_advisory_xact_lock key shared by every govbot process


def normalise_url(url: str) -> str:
    """Map the user-facing URL (`sqlite:///x.db`, `postgresql://…`) to an async driver URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"DATABASE_URL must start with sqlite:// or postgresql://, got {backend}://")


def redact_url(url: str) -> str:
    """The URL with any password hidden, for logs."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """An engine plus the two transaction kinds; built once and shared by all repositories."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 5) -> None:
        self.url = url
        # Writers of this process queue here, first come first served, before asking the
        # database. SQLite lets a writer that finds the lock taken sleep and retry with
        # growing pauses (up to 100 ms each), so several group committers (members,
        # ballots, credits) contending through the database added tens of milliseconds
        # to a burst's votes; in-process they hand over without sleeping. The database
        # lock (BEGIN IMMEDIATE, the advisory lock) still orders writers across processes.
        self._writer = asyncio.Lock()
        driver_url = normalise_url(url)
        self.dialect = "sqlite" if driver_url.startswith("sqlite") else "postgresql"
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if make_url(driver_url).database in (None, "", ":memory:"):
                kwargs["poolclass"] = StaticPool
            # A pool large enough that bursts reuse connections: an overflow connection is
            # opened (a thread plus its PRAGMAs) and thrown away after each use. Every
            # transaction ends in an explicit commit or rollback, so the pool's extra
            # reset-on-return rollback would only add a round trip to the driver thread.
            if "poolclass" not in kwargs:
                kwargs |= {"pool_size": 20, "max_overflow": 10}
            self.engine: AsyncEngine = create_async_engine(
                driver_url, pool_reset_on_return=None, **kwargs
            )
            self._install_sqlite_hooks(sqlite_synchronous)
        else:
            self.engine = create_async_engine(driver_url, pool_size=pool_size, max_overflow=10)

    def _install_sqlite_hooks(self, synchronous: str) -> None:
        """WAL, foreign keys, busy timeout; and our own BEGIN so writes can be IMMEDIATE."""

        @event.listens_for(self.engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()

        @event.listens_for(self.engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("govbot_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction for reading; rolled back at the end (it wrote nothing)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A serialised write transaction: committed on success, rolled back on any error."""
        async with self._writer, self.engine.connect() as conn:
            if self.dialect == "sqlite":
                await conn.execution_options(govbot_write=True)
            async with conn.begin():
                if self.dialect == "postgresql":
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY}
                    )
                yield conn

    async def close(self) -> None:
        await self.engine.dispose()
