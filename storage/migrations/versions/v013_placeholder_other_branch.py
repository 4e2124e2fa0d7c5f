"""placeholder: v013 belongs to another branch

Numbers v013 to v015 are taken by other branches (disputes, roles, summaries); this
empty revision only keeps this branch's chain gap-free. Delete it when the real v013
merges.

Revision ID: v013
Revises: v012
"""

from __future__ import annotations

revision = "v013"
down_revision = "v012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
