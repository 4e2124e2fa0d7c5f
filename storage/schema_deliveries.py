"""Deliveries: platform events already handled, keyed by the platform's own id.

Telegram redelivers every update whose offset was not confirmed, so after a crash or a
restart the same update can arrive again. Its key (`telegram:<bot id>:<update id>`)
is recorded here; a key seen again is never applied twice:

* `outcome` is written in the same transaction as the event's effect (a ballot's
  receipt), so an effect that committed just before a crash is recognised on
  redelivery and answered again from what was stored, not applied a second time;
* `done` is set once the event was handled and answered; a done key is skipped.

Rows are pruned after a few days: Telegram keeps an unconfirmed update for 24 hours.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text

from storage.schema import metadata

deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("outcome", Text, nullable=True),
    Column("done", Boolean, nullable=False, default=False),
    Column("at", Float, nullable=False),
    Index("ix_deliveries_at", "at"),
)
