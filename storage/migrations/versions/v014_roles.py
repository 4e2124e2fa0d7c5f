"""roles: what the bot last did about each member and role

Revision ID: v014
Revises: v013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v014"
down_revision = "v013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "role_states",
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("role", sa.String(60), primary_key=True),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_role_states_role", "role_states", ["role", "state"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
