"""Arena: imported pairs, battles and ratings."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema_arena

VERSION = 3
NAME = "arena: imported pairs, battles, ratings"


def upgrade(conn: Connection) -> None:
    schema_arena.metadata.create_all(conn, tables=list(schema_arena.ARENA_TABLES))
