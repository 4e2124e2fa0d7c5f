"""wallets: wallet links, link nonces, delegations

As first released: an address could be linked once per community (v005 makes that once
per platform of a community and adds `wallet_links.platform`).

Revision ID: v002
Revises: v001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v002"
down_revision = "v001"
branch_labels = None
depends_on = None

ACTIVE_LINK = sa.text("unlinked_at IS NULL")
ACTIVE_DELEGATION = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "wallet_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("linked_at", sa.Float, nullable=False),
        sa.Column("unlinked_at", sa.Float),
    )
    op.create_index("ix_wallet_links_member", "wallet_links", ["member_id", "linked_at"])
    op.create_index(
        "uq_wallet_links_active_address",
        "wallet_links",
        ["community_id", "address"],
        unique=True,
        sqlite_where=ACTIVE_LINK,
        postgresql_where=ACTIVE_LINK,
    )
    op.create_index(
        "uq_wallet_links_active_member",
        "wallet_links",
        ["member_id"],
        unique=True,
        sqlite_where=ACTIVE_LINK,
        postgresql_where=ACTIVE_LINK,
    )
    op.create_table(
        "wallet_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("used_at", sa.Float),
    )
    op.create_index("ix_wallet_nonces_member", "wallet_nonces", ["member_id", "issued_at"])
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("delegator_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("delegate_id", sa.Integer, sa.ForeignKey("members.id")),
        sa.Column("delegate_address", sa.String(42)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float),
    )
    op.create_index("ix_delegations_community", "delegations", ["community_id", "created_at"])
    op.create_index(
        "uq_delegations_active",
        "delegations",
        ["delegator_id"],
        unique=True,
        sqlite_where=ACTIVE_DELEGATION,
        postgresql_where=ACTIVE_DELEGATION,
    )


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
