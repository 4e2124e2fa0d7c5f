"""Leases: a named job that one process at a time may run (e.g. a reputation recompute).

Several bot processes can share one database (Discord shards, Discord beside Telegram).
Background jobs that are expensive and idempotent — recomputing a community's
reputation — should run in one of them, not in all at once. A lease row names the
holder and when the lease lapses, so a holder that crashed frees it by expiring.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, String, Table

from storage.schema import metadata

leases = Table(
    "leases",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("expires_at", Float, nullable=False),
)
