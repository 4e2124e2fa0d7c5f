"""Reach: which reminders were sent (each exactly once) and who asked for private ones.

`reminders_sent` is claimed by an insert that does nothing on a duplicate key before a
reminder goes out, so a restart or a second process sharing the database never sends
the same reminder twice. `reminder_optins` lists the members who turned `/remind on`.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table

from storage.schema import metadata

reminders_sent = Table(
    "reminders_sent",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("proposal_id", Integer, nullable=False),
    Column("sent_at", Float, nullable=False),
    Index("ix_reminders_sent_proposal", "proposal_id"),
)

reminder_optins = Table(
    "reminder_optins",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("community_id", Integer, nullable=False),
    Column("since", Float, nullable=False),
    Index("ix_reminder_optins_community", "community_id"),
)
