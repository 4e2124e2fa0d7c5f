"""Leases: one process at a time runs a named background job (issue 9, scale-out)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema_leases

VERSION = 6
NAME = "leases: one process at a time per background job"


def upgrade(conn: Connection) -> None:
    schema_leases.leases.create(conn, checkfirst=True)
