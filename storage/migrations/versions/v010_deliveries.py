"""deliveries: handled platform events by key

A Telegram update whose offset was not confirmed is delivered again after a restart;
its key is kept here so it applies once (storage/schema_deliveries.py).

Revision ID: v010
Revises: v009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v010"
down_revision = "v009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_deliveries_at", "deliveries", ["at"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
