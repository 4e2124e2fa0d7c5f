"""Index contributions by receiver, so /rep's per-platform sums stay instant."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema_contributions

VERSION = 7
NAME = "contributions: index by receiver"


def upgrade(conn: Connection) -> None:
    index = next(
        i
        for i in schema_contributions.contributions.indexes
        if i.name == "ix_contributions_receiver"
    )
    index.create(conn, checkfirst=True)
