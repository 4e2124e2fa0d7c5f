"""Baseline: communities, members, proposals, ballots, audit log, cards."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema

VERSION = 1
NAME = "baseline: communities, members, proposals, ballots, audit log, cards"

BASELINE_TABLES = (
    schema.schema_version,
    schema.communities,
    schema.community_spaces,
    schema.members,
    schema.proposals,
    schema.ballots,
    schema.audit_log,
    schema.cards,
)


def upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(BASELINE_TABLES))
