"""Wallets: linked addresses, single-use link nonces, delegations."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from storage import schema_wallets

VERSION = 2
NAME = "wallets: wallet links, link nonces, delegations"


def upgrade(conn: Connection) -> None:
    schema_wallets.metadata.create_all(conn, tables=list(schema_wallets.WALLET_TABLES))
