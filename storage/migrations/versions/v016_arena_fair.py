"""arena fair: style counts, categories, gold pairs, identity leaks

Per battle: the style counts of both outputs (FastChat's `conv_metadata`), its
categories, the known better side of a gold battle, and the model name an output still
gave away after redaction. Per imported pair: its categories and, for gold pairs, the
better model (gold pairs are reused, never consumed).

Revision ID: v016
Revises: v015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v016"
down_revision = "v015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("arena_battles", sa.Column("style", sa.Text()))
    op.add_column(
        "arena_battles", sa.Column("categories", sa.Text(), nullable=False, server_default="[]")
    )
    op.add_column("arena_battles", sa.Column("gold", sa.String(8)))
    op.add_column("arena_battles", sa.Column("leak", sa.String(200)))
    op.add_column(
        "arena_queue", sa.Column("categories", sa.Text(), nullable=False, server_default="[]")
    )
    op.add_column("arena_queue", sa.Column("gold", sa.String(200)))


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
