"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = "${up_revision}"
down_revision = "${down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Write the DDL out here (op.create_table, op.add_column, op.create_index, ...);
    # never import storage.schema*: they describe today's tables, not this version's.
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
