"""Tables of reward epochs, their allocations, and acknowledgements (praise, grants).

Amounts are integers in the token's smallest unit, stored as decimal text: an 18-decimal
token's budget does not fit a 64-bit column. An epoch is numbered per community, the
unique key making "epoch N opens once" a database rule across processes; closing is a
conditional update (open → closed) in the transaction that writes its allocation.
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
    UniqueConstraint,
)

from storage.schema import metadata

rewards_epochs = Table(
    "rewards_epochs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # open | closed
    Column("schedule", String(10), nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float),  # None: closed by hand (schedule "manual")
    Column("closed_at", Float),
    Column("start_snapshot", BigInteger),  # reputation snapshot when it opened
    Column("close_snapshot", BigInteger),
    Column("summary", Text),  # canonical JSON: total, pools, carry-out, payable, root
    Column("result_hash", String(64)),  # the closing audit entry's hash
    Column("announced", Boolean, nullable=False, server_default="0"),
    Column("place", Text),  # where its cards go (canonical JSON of a place), if known
    UniqueConstraint("community_id", "number", name="uq_rewards_epochs_number"),
    Index("ix_rewards_epochs_status_end", "status", "ends_at"),
)

rewards_allocations = Table(
    "rewards_allocations",
    metadata,
    Column("epoch_id", Integer, ForeignKey("rewards_epochs.id"), nullable=False),
    Column("recipient", String(80), nullable=False),  # "m:<member id>" or "a:<address>"
    Column("member_id", Integer),
    Column("address", String(42)),
    Column("amount", String(80), nullable=False),
    Column("parts", Text, nullable=False),  # per pool, canonical JSON
    Column("status", String(10), nullable=False),  # paid | held | released | returned
    Column("settled_in", Integer),  # the epoch a hold was released or returned in
    PrimaryKeyConstraint("epoch_id", "recipient"),
    Index("ix_rewards_allocations_status", "status", "member_id"),
)

rewards_acknowledgements = Table(
    "rewards_acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("contribution_id", BigInteger),  # the ledger row it made
    Column("kind", String(20), nullable=False),  # praise | grant
    Column("giver_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("receiver_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("points", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_rewards_acknowledgements_receiver", "receiver_id", "at"),
)

REWARDS_TABLES = (rewards_epochs, rewards_allocations, rewards_acknowledgements)
