"""Contribution ledger, daily-cap counters, trusted seeds and reputation snapshots."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema, schema_contributions

VERSION = 4
NAME = "contributions: ledger, daily caps, seeds, reputation snapshots"


def upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema_contributions.CONTRIBUTION_TABLES))
