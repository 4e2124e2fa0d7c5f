"""elections: proposal options

Multi-winner methods carry options of their own (seats, rule, budget, costs); they are
kept as canonical JSON beside the proposal (and in its `proposal.opened` audit entry).

Revision ID: v008
Revises: v007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v008"
down_revision = "v007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("proposals", sa.Column("options", sa.Text(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
