"""Tables of the contribution ledger and the reputation snapshots computed from it.

Message text is never stored: a credit names who gave it, who received it, where (the
platform, channel and message id, so a removed reaction can find and retract it), the
emoji, its weight at the time and whether the rules counted it (and if not, why).
Snapshots freeze computed scores so `/rep` answers from one indexed row and a
reputation-weighted proposal keeps the scores as they stood when it opened.
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
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from storage.schema import metadata

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer, "sqlite")

contributions = Table(
    "contributions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    # None: minted by the community itself (a vote cast, a proposal that passed).
    Column("giver_id", Integer, ForeignKey("members.id")),
    Column("receiver_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("channel_id", String(100), nullable=False, server_default=""),
    Column("message_id", String(100)),
    Column("emoji", String(64)),
    Column("subject", String(80)),
    Column("weight", Float, nullable=False),
    Column("counted", Boolean, nullable=False),
    Column("reason", String(24)),
    Column("at", Float, nullable=False),
    Column("retracted_at", Float),
    Index("ix_contributions_community", "community_id", "id"),
    Index("ix_contributions_message", "platform", "channel_id", "message_id", "giver_id"),
    # /rep's "credits by platform" sums one person's received credits: without this it
    # scanned the whole ledger per call (a 1M-credit ledger took ~0.3 s per /rep).
    Index("ix_contributions_receiver", "receiver_id", "platform"),
)

# Counted credits per (giver, receiver, UTC day): the daily cap is checked against this
# inside the ingesting transaction, so it holds across processes.
contribution_daily = Table(
    "contribution_daily",
    metadata,
    Column("giver_id", Integer, nullable=False),
    Column("receiver_id", Integer, nullable=False),
    Column("day", Integer, nullable=False),
    Column("counted", Integer, nullable=False),
    PrimaryKeyConstraint("giver_id", "receiver_id", "day"),
)

# Bumped by every ingesting transaction that touches a community: a snapshot computed at
# an older version is stale.
ledger_state = Table(
    "ledger_state",
    metadata,
    Column("community_id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

# Trusted seeds learned from events (admins, configured roles) or set on the console.
rep_seeds = Table(
    "rep_seeds",
    metadata,
    Column("community_id", Integer, nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("reason", String(60), nullable=False),
    Column("since", Float, nullable=False),
    PrimaryKeyConstraint("member_id", "reason"),
)

rep_snapshots = Table(
    "rep_snapshots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("computed_at", Float, nullable=False),
    Column("ledger_version", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
    Column("members", Integer, nullable=False),
    Column("total", Float, nullable=False),
    Column("pinned", Boolean, nullable=False, server_default="0"),
    Index("ix_rep_snapshots_community", "community_id", "id"),
)

rep_scores = Table(
    "rep_scores",
    metadata,
    Column("snapshot_id", BigInteger, nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("trust", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("change_30d", Float, nullable=False),
    Column("parts", Text, nullable=False),
    Column("sources", Text, nullable=False),
    PrimaryKeyConstraint("snapshot_id", "member_id"),
    Index("ix_rep_scores_rank", "snapshot_id", "rank"),
)

CONTRIBUTION_TABLES = (
    contributions,
    contribution_daily,
    ledger_state,
    rep_seeds,
    rep_snapshots,
    rep_scores,
)
