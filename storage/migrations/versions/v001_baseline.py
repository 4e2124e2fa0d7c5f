"""baseline: communities, members, proposals, ballots, audit log, cards

The tables of the first release, as its `storage/schema.py` declared them.

Revision ID: v001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("applied_at", sa.Float, nullable=False),
    )
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("next_proposal", sa.Integer, nullable=False, server_default="0"),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "community_spaces",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("space_id", sa.String(100), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.PrimaryKeyConstraint("platform", "space_id"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("account_created", sa.Float),
        sa.UniqueConstraint("community_id", "platform", "user_id", name="uq_member_account"),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("choices", sa.Text, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("strategy", sa.String(400), nullable=False),
        sa.Column("snapshot", sa.Text),
        sa.Column("quorum", sa.String(40)),
        sa.Column("threshold", sa.Float),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("profile", sa.String(80)),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
        sa.Column("eligible_power", sa.Float),
        sa.Column("result", sa.Text),
        sa.Column("result_hash", sa.String(64)),
        sa.Column("announced", sa.Boolean, nullable=False, server_default="0"),
        sa.UniqueConstraint("community_id", "number", name="uq_proposal_number"),
    )
    op.create_index("ix_proposals_status_ends", "proposals", ["status", "ends_at"])
    op.create_table(
        "ballots",
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("selection", sa.Text, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("breakdown", sa.Text, nullable=False),
        sa.Column("cast_at", sa.Float, nullable=False),
        sa.Column("receipt", sa.String(64), nullable=False),
        sa.Column("signature", sa.Text),
        sa.PrimaryKeyConstraint("proposal_id", "member_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("community_id", sa.Integer),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "cards",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("kind", "community_id", "subject_id", "platform"),
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
