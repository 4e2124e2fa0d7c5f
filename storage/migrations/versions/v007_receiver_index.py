"""contributions: index by receiver

/rep's per-platform sums read one person's received credits; without this index they
scanned the whole ledger on every call.

Revision ID: v007
Revises: v006
"""

from __future__ import annotations

from alembic import op

revision = "v007"
down_revision = "v006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contributions_receiver", "contributions", ["receiver_id", "platform"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
