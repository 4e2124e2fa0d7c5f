"""Tables for wallet links, link nonces and delegations (on the shared `metadata`).

A link row is never updated in place except to close it (`unlinked_at`), so the
history of who held which address stays; the partial unique index makes "an address
is linked to at most one member per platform of a community" a database rule, not only
a check (the same person on Discord and Telegram links one address twice).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text, text

from storage.schema import metadata

wallet_links = Table(
    "wallet_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("address", String(42), nullable=False),
    Column("kind", String(16), nullable=False),  # "eoa" | "contract" (EIP-1271)
    Column("message", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("linked_at", Float, nullable=False),
    Column("unlinked_at", Float),
    # The account's platform (copied from members): one community spans platforms, and
    # one person may link the same address once per platform (since v005).
    Column("platform", String(20)),
    Index("ix_wallet_links_member", "member_id", "linked_at"),
    Index(
        "uq_wallet_links_active_platform_address",
        "community_id",
        "platform",
        "address",
        unique=True,
        sqlite_where=text("unlinked_at IS NULL"),
        postgresql_where=text("unlinked_at IS NULL"),
    ),
    Index(
        "uq_wallet_links_active_member",
        "member_id",
        unique=True,
        sqlite_where=text("unlinked_at IS NULL"),
        postgresql_where=text("unlinked_at IS NULL"),
    ),
)

wallet_nonces = Table(
    "wallet_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("address", String(42), nullable=False),
    Column("message", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
    Index("ix_wallet_nonces_member", "member_id", "issued_at"),
)

delegations = Table(
    "delegations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("delegator_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("delegate_id", Integer, ForeignKey("members.id")),
    Column("delegate_address", String(42)),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    Index("ix_delegations_community", "community_id", "created_at"),
    Index(
        "uq_delegations_active",
        "delegator_id",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)

WALLET_TABLES = (wallet_links, wallet_nonces, delegations)
