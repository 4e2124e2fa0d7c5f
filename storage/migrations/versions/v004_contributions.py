"""contributions: ledger, daily caps, seeds, reputation snapshots

As first released, without the index by receiver (v007 adds it).

Revision ID: v004
Revises: v003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v004"
down_revision = "v003"
branch_labels = None
depends_on = None


def _big_id() -> sa.types.TypeEngine[int]:
    """SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "contributions",
        sa.Column("id", _big_id(), primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("giver_id", sa.Integer, sa.ForeignKey("members.id")),
        sa.Column("receiver_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(100)),
        sa.Column("emoji", sa.String(64)),
        sa.Column("subject", sa.String(80)),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("counted", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(24)),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("retracted_at", sa.Float),
    )
    op.create_index("ix_contributions_community", "contributions", ["community_id", "id"])
    op.create_index(
        "ix_contributions_message",
        "contributions",
        ["platform", "channel_id", "message_id", "giver_id"],
    )
    op.create_table(
        "contribution_daily",
        sa.Column("giver_id", sa.Integer, nullable=False),
        sa.Column("receiver_id", sa.Integer, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("counted", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("giver_id", "receiver_id", "day"),
    )
    op.create_table(
        "ledger_state",
        sa.Column("community_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "rep_seeds",
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("member_id", "reason"),
    )
    op.create_table(
        "rep_snapshots",
        sa.Column("id", _big_id(), primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("computed_at", sa.Float, nullable=False),
        sa.Column("ledger_version", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default="0"),
    )
    op.create_index("ix_rep_snapshots_community", "rep_snapshots", ["community_id", "id"])
    op.create_table(
        "rep_scores",
        sa.Column("snapshot_id", sa.BigInteger, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("trust", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("change_30d", sa.Float, nullable=False),
        sa.Column("parts", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", "member_id"),
    )
    op.create_index("ix_rep_scores_rank", "rep_scores", ["snapshot_id", "rank"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
