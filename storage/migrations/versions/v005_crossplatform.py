"""crossplatform: wallet links per platform

One community spans platforms, so one person may link the same address once per
platform: `wallet_links.platform` is added (filled from each link's member) and the
unique index on (community, address) becomes one on (community, platform, address).

Revision ID: v005
Revises: v004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v005"
down_revision = "v004"
branch_labels = None
depends_on = None

ACTIVE_LINK = sa.text("unlinked_at IS NULL")


def upgrade() -> None:
    op.add_column("wallet_links", sa.Column("platform", sa.String(20)))
    op.execute(
        "UPDATE wallet_links SET platform = "
        "(SELECT members.platform FROM members WHERE members.id = wallet_links.member_id)"
    )
    op.drop_index("uq_wallet_links_active_address", table_name="wallet_links", if_exists=True)
    op.create_index(
        "uq_wallet_links_active_platform_address",
        "wallet_links",
        ["community_id", "platform", "address"],
        unique=True,
        sqlite_where=ACTIVE_LINK,
        postgresql_where=ACTIVE_LINK,
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
