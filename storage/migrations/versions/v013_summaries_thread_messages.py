"""summaries: thread messages, forum topics, last summary per proposal

The text of messages in proposal threads on platforms that cannot fetch history (only
with summaries enabled; deleted after the proposal closes plus a retention period), the
forum topic of each proposal, and when each proposal was last summarised.

Revision ID: v013
Revises: v012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v013"
down_revision = "v012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.UniqueConstraint("platform", "channel_id", "message_id", name="uq_summary_message"),
    )
    op.create_index("ix_summary_messages_proposal", "summary_messages", ["proposal_id"])
    op.create_table(
        "summary_topics",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("channel_id", sa.String(100), primary_key=True),
        sa.Column("thread_id", sa.String(100), primary_key=True),
        sa.Column("proposal_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_summary_topics_proposal", "summary_topics", ["proposal_id"])
    op.create_table(
        "summary_runs",
        sa.Column("proposal_id", sa.Integer, primary_key=True),
        sa.Column("last_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
