"""rewards: epochs, allocations, acknowledgements

Reward epochs numbered per community (opened once by a unique key, closed once by a
conditional update), the allocation of each closed epoch (amounts as decimal text in
the token's smallest unit) and the reasons given with /praise and /credit.

Revision ID: v011
Revises: v010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v011"
down_revision = "v010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rewards_epochs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("schedule", sa.String(10), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float()),
        sa.Column("closed_at", sa.Float()),
        sa.Column("start_snapshot", sa.BigInteger()),
        sa.Column("close_snapshot", sa.BigInteger()),
        sa.Column("summary", sa.Text()),
        sa.Column("result_hash", sa.String(64)),
        sa.Column("announced", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("place", sa.Text()),
        sa.UniqueConstraint("community_id", "number", name="uq_rewards_epochs_number"),
    )
    op.create_index("ix_rewards_epochs_status_end", "rewards_epochs", ["status", "ends_at"])
    op.create_table(
        "rewards_allocations",
        sa.Column("epoch_id", sa.Integer(), sa.ForeignKey("rewards_epochs.id"), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("member_id", sa.Integer()),
        sa.Column("address", sa.String(42)),
        sa.Column("amount", sa.String(80), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("settled_in", sa.Integer()),
        sa.PrimaryKeyConstraint("epoch_id", "recipient"),
    )
    op.create_index("ix_rewards_allocations_status", "rewards_allocations", ["status", "member_id"])
    op.create_table(
        "rewards_acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("contribution_id", sa.BigInteger()),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("giver_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("receiver_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_rewards_acknowledgements_receiver",
        "rewards_acknowledgements",
        ["receiver_id", "at"],
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
