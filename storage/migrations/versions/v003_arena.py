"""arena: imported pairs, battles, ratings

Revision ID: v003
Revises: v002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v003"
down_revision = "v002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arena_queue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("model_a", sa.String(200), nullable=False),
        sa.Column("output_a", sa.Text, nullable=False),
        sa.Column("model_b", sa.String(200), nullable=False),
        sa.Column("output_b", sa.Text, nullable=False),
        sa.Column("source", sa.String(400), nullable=False, server_default=""),
        sa.Column("queued_at", sa.Float, nullable=False),
        sa.Column("used_by", sa.Integer),
    )
    op.create_index("ix_arena_queue_unused", "arena_queue", ["used_by", "id"])
    op.create_table(
        "arena_battles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("model_a", sa.String(200), nullable=False),
        sa.Column("output_a", sa.Text, nullable=False),
        sa.Column("model_b", sa.String(200), nullable=False),
        sa.Column("output_b", sa.Text, nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("members.id")),
        sa.Column("origin", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("reveal_at", sa.Float, nullable=False),
        sa.Column("revealed_at", sa.Float),
        sa.Column("result", sa.Text),
    )
    op.create_index("ix_arena_battles_status_reveal", "arena_battles", ["status", "reveal_at"])
    op.create_index("ix_arena_battles_community", "arena_battles", ["community_id", "id"])
    op.create_table(
        "arena_votes",
        sa.Column("battle_id", sa.Integer, sa.ForeignKey("arena_battles.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("choice", sa.String(8), nullable=False),
        sa.Column("cast_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("battle_id", "member_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
