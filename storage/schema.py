"""The current schema, as SQLAlchemy Core tables shared by every repository.

Times are UTC epoch seconds (float): portable across SQLite and PostgreSQL and cheap to
compare. JSON payloads are stored as text in a canonical form so the audit log can
hash exactly what it stores.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", Float, nullable=False),
)

communities = Table(
    "communities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("next_proposal", Integer, nullable=False, server_default="0"),
    Column("settings", Text, nullable=False, server_default="{}"),
    Column("created_at", Float, nullable=False),
)

community_spaces = Table(
    "community_spaces",
    metadata,
    Column("platform", String(20), nullable=False),
    Column("space_id", String(100), nullable=False),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    PrimaryKeyConstraint("platform", "space_id"),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("account_created", Float),
    UniqueConstraint("community_id", "platform", "user_id", name="uq_member_account"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(400), nullable=False),
    Column("body", Text, nullable=False, server_default=""),
    Column("choices", Text, nullable=False),
    Column("method", String(20), nullable=False),
    Column("strategy", String(400), nullable=False),
    Column("snapshot", Text),
    Column("quorum", String(40)),
    Column("threshold", Float),
    Column("hidden", Boolean, nullable=False, server_default="0"),
    Column("profile", String(80)),
    Column("author_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("closed_at", Float),
    Column("eligible_power", Float),
    Column("result", Text),
    Column("result_hash", String(64)),
    Column("announced", Boolean, nullable=False, server_default="0"),
    Column("options", Text),
    UniqueConstraint("community_id", "number", name="uq_proposal_number"),
    Index("ix_proposals_status_ends", "status", "ends_at"),
)

ballots = Table(
    "ballots",
    metadata,
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("selection", Text, nullable=False),
    Column("weight", Float, nullable=False),
    Column("breakdown", Text, nullable=False),
    Column("cast_at", Float, nullable=False),
    Column("receipt", String(64), nullable=False),
    Column("signature", Text),
    PrimaryKeyConstraint("proposal_id", "member_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", Float, nullable=False),
    Column("community_id", Integer),
    Column("kind", String(40), nullable=False),
    Column("subject", String(80), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

cards = Table(
    "cards",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("community_id", Integer, nullable=False),
    Column("subject_id", Integer, nullable=False),
    Column("platform", String(20), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("message_id", String(100), nullable=False),
    PrimaryKeyConstraint("kind", "community_id", "subject_id", "platform"),
)
