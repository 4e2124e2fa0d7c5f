"""placeholder: v015 belongs to another branch

Numbers v013 to v015 are taken by other branches (disputes, roles, summaries); this
empty revision only keeps this branch's chain gap-free. Delete it when the real v015
merges.

Revision ID: v015
Revises: v014
"""

from __future__ import annotations

revision = "v015"
down_revision = "v014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
