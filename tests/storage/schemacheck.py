"""Two ways to see whether a database's schema is exactly what `storage/schema*.py` declares.

* `metadata_diffs` — Alembic's autogenerate comparison (tables, columns, types,
  nullability, server defaults, indexes, unique constraints, foreign keys) of a live
  database against today's metadata; an up-to-date database gives no diffs.
* `fingerprint` — what the database itself reports, table by table, in column order,
  including partial-index predicates, which the autogenerate comparison does not look at.
  Equal fingerprints of a migrated database and of one made by `metadata.create_all`
  mean the revisions built the very same tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import storage  # noqa: F401 - importing the package imports every schema module
from storage import schema
from storage.db import normalise_url
from tests.pgcluster import PgCluster

# Alembic versioning, not part of the declared schema.
IGNORED_TABLES = {"alembic_version"}


def _bare(default: str) -> str:
    """A default's text without the parentheses and quotes reflection may wrap it in."""
    text = default.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.strip("'\"")


def _same_default(
    _context: Any,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected_default: str | None,
    _metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """SQLite reflects `DEFAULT ''` as `('')`, which Alembic's own comparison calls
    different from the empty string it rendered. Equal bare texts are the same default;
    every other case is left to Alembic (None)."""
    if inspected_default is None or rendered_metadata_default is None:
        return None
    if _bare(inspected_default) == _bare(rendered_metadata_default):
        return False
    return None


def metadata_diffs(conn: Connection, metadata: sa.MetaData = schema.metadata) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": _same_default}
    )
    return list(compare_metadata(context, metadata))


def _text(clause: Any) -> str | None:
    return None if clause is None else " ".join(str(getattr(clause, "text", clause)).split())


def fingerprint(conn: Connection) -> dict[str, Any]:
    inspector = sa.inspect(conn)
    found: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - IGNORED_TABLES):
        indexes = []
        for index in inspector.get_indexes(table):
            options = index.get("dialect_options", {})
            where = options.get("sqlite_where", options.get("postgresql_where"))
            indexes.append(
                (index["name"], tuple(index["column_names"]), bool(index["unique"]), _text(where))
            )
        found[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], _text(c["default"]))
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(indexes),
        }
    return found


async def on_connection(url: str, fn: Any) -> Any:
    """Run `fn(sync_connection)` on a plain connection to `url` (no migrations)."""
    engine = create_async_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def create_all_fingerprint(url: str) -> dict[str, Any]:
    """The fingerprint of an empty database given `metadata.create_all`: the reference."""

    def build(conn: Connection) -> dict[str, Any]:
        schema.metadata.create_all(conn)
        conn.commit()
        return fingerprint(conn)

    return dict(await on_connection(url, build))


def psql(cluster: PgCluster) -> str:
    found = cluster.pg_bin / "psql"
    return str(found) if found.is_file() else (shutil.which("psql") or "psql")


def restore_dump(cluster: PgCluster, dump: Path, name: str) -> str:
    """A new database of the test cluster holding the plain `pg_dump` in `dump`."""
    url = cluster.new_database(name)
    subprocess.run(
        [psql(cluster), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(dump)],
        check=True,
        capture_output=True,
        env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"},
    )
    return url


def state(conn: Connection) -> dict[str, Any]:
    """Every table's row count, plus the version rows: what a refusal must leave alone."""
    inspector = sa.inspect(conn)
    tables = sorted(inspector.get_table_names())
    found: dict[str, Any] = {
        t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
        for t in tables
    }
    for table in ("alembic_version", "schema_version"):
        if table in tables:
            found[f"{table} rows"] = sorted(
                tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            )
    return found


async def execute(url: str, *statements: str) -> None:
    """Run raw SQL on `url` outside govbot, committed."""

    def run(conn: Connection) -> None:
        for statement in statements:
            conn.execute(sa.text(statement))
        conn.commit()

    await on_connection(url, run)
