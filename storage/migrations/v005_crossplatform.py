"""One community across platforms: an address may be linked once per platform.

Adds `wallet_links.platform` (filled from each link's member) and replaces the unique
index on (community, address) with one on (community, platform, address), so the same
person can link one wallet from Discord and from Telegram (issue 8).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage import schema_wallets

VERSION = 5
NAME = "crossplatform: wallet links per platform"


def upgrade(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE wallet_links ADD COLUMN platform VARCHAR(20)"))
    conn.execute(
        text(
            "UPDATE wallet_links SET platform = "
            "(SELECT members.platform FROM members WHERE members.id = wallet_links.member_id)"
        )
    )
    conn.execute(text("DROP INDEX IF EXISTS uq_wallet_links_active_address"))
    for index in schema_wallets.wallet_links.indexes:
        if index.name == "uq_wallet_links_active_platform_address":
            index.create(conn)
