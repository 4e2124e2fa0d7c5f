"""reach: reminders

Revision ID: v009
Revises: v008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v009"
down_revision = "v008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("proposal_id", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.Float, nullable=False),
    )
    op.create_index("ix_reminders_sent_proposal", "reminders_sent", ["proposal_id"])
    op.create_table(
        "reminder_optins",
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("since", sa.Float, nullable=False),
    )
    op.create_index("ix_reminder_optins_community", "reminder_optins", ["community_id"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
