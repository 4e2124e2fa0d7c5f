"""disputes: disputes, jurors, voided credits

Challenges to a result, a credit, a battle or a reward epoch: each dispute, the members
drawn (or asked as replacements) to sit on its jury with their hidden votes, and the
credits an upheld dispute voided.

Revision ID: v015
Revises: v014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v015"
down_revision = "v014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("target", sa.String(160), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("disputer_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("bond", sa.Float, nullable=False, server_default="0"),
        sa.Column("decider", sa.String(12), nullable=False),
        sa.Column("council_id", sa.Integer),
        sa.Column("proposal_id", sa.Integer),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column("jury_size", sa.Integer, nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("draw_order", sa.Text, nullable=False, server_default="[]"),
        sa.Column("parties", sa.Text, nullable=False, server_default="[]"),
        sa.Column("replacements", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deadline", sa.Float, nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("ruled_at", sa.Float),
        sa.Column("outcome", sa.String(12)),
        sa.Column("appeal_until", sa.Float),
        sa.Column("final", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("effects", sa.Text, nullable=False, server_default="{}"),
        sa.Column("home_platform", sa.String(20), nullable=False),
        sa.Column("home_space", sa.String(100), nullable=False),
        sa.Column("home_channel", sa.String(100), nullable=False),
        sa.Column("home_thread", sa.String(100)),
        sa.UniqueConstraint("community_id", "number", name="uq_dispute_number"),
    )
    op.create_index("ix_disputes_target", "disputes", ["community_id", "target"])
    op.create_index("ix_disputes_status", "disputes", ["status", "deadline"])
    op.create_table(
        "dispute_jurors",
        sa.Column("dispute_id", sa.Integer, sa.ForeignKey("disputes.id"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("vote", sa.String(8)),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("asked_at", sa.Float, nullable=False),
        sa.Column("answered_at", sa.Float),
        sa.PrimaryKeyConstraint("dispute_id", "round", "member_id"),
    )
    op.create_table(
        "dispute_voids",
        sa.Column("contribution_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("dispute_id", sa.Integer, sa.ForeignKey("disputes.id"), nullable=False),
        sa.Column("receiver_id", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_dispute_voids_receiver", "dispute_voids", ["receiver_id"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
