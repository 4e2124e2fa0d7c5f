"""leases: one process at a time per background job

Revision ID: v006
Revises: v005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v006"
down_revision = "v005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
