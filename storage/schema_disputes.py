"""Dispute tables: disputes, their jurors, and the credits a ruling voided.

On the shared `metadata`; revision v013 (storage/migrations/versions) creates them.

* `disputes` — one row per dispute: what it challenges (`kind`, `target`), who opened it
  and why, who decides (a drawn jury or a council's vote), the current round (1, or 2
  after an appeal), its deadline, the draw order of the round's jury (member ids, best
  first) and, once ruled, the outcome and what the ruling changed (`effects`, JSON).
* `dispute_jurors` — each member asked to sit on a round's jury: where they stand in the
  draw order, whether they answered, their hidden vote and its salt (the audit log only
  carries a commitment until the ruling reveals the votes).
* `dispute_voids` — the credits an upheld credit dispute voided, so `/rep` can say so.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.schema import metadata
from storage.schema_contributions import BigId

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("target", String(160), nullable=False),
    Column("label", String(300), nullable=False),
    Column("reason", Text, nullable=False),
    Column("disputer_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("bond", Float, nullable=False, server_default="0"),
    Column("decider", String(12), nullable=False),
    Column("council_id", Integer),
    Column("proposal_id", Integer),
    Column("status", String(12), nullable=False),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("jury_size", Integer, nullable=False),
    Column("seed", String(64), nullable=False),
    Column("draw_order", Text, nullable=False, server_default="[]"),
    Column("parties", Text, nullable=False, server_default="[]"),
    Column("replacements", Integer, nullable=False, server_default="0"),
    Column("deadline", Float, nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("ruled_at", Float),
    Column("outcome", String(12)),
    Column("appeal_until", Float),
    Column("final", Boolean, nullable=False, server_default="0"),
    Column("effects", Text, nullable=False, server_default="{}"),
    Column("home_platform", String(20), nullable=False),
    Column("home_space", String(100), nullable=False),
    Column("home_channel", String(100), nullable=False),
    Column("home_thread", String(100)),
    UniqueConstraint("community_id", "number", name="uq_dispute_number"),
    Index("ix_disputes_target", "community_id", "target"),
    Index("ix_disputes_status", "status", "deadline"),
)

dispute_jurors = Table(
    "dispute_jurors",
    metadata,
    Column("dispute_id", Integer, ForeignKey("disputes.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("vote", String(8)),
    Column("salt", String(32), nullable=False),
    Column("asked_at", Float, nullable=False),
    Column("answered_at", Float),
    PrimaryKeyConstraint("dispute_id", "round", "member_id"),
)

dispute_voids = Table(
    "dispute_voids",
    metadata,
    Column("contribution_id", BigId, primary_key=True, autoincrement=False),
    Column("dispute_id", Integer, ForeignKey("disputes.id"), nullable=False),
    Column("receiver_id", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_dispute_voids_receiver", "receiver_id"),
)

DISPUTE_TABLES = (disputes, dispute_jurors, dispute_voids)
