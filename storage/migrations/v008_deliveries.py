"""Deliveries: handled platform events by key, so a redelivered update applies once."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema_deliveries

VERSION = 8
NAME = "deliveries: handled platform events by key"


def upgrade(conn: Connection) -> None:
    schema_deliveries.deliveries.create(conn, checkfirst=True)
