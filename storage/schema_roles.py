"""Roles that follow rules: what the bot last did about each member and each role.

One row per (member, role): the state the bot brought about (`granted`/`revoked` for a
Discord role; `approved`, `declined`, `warned`, `removed` for a gated Telegram group),
so a re-check calls the platform only when the wanted state differs, and every change
is also an audit entry (`role.changed`) that `govbot audit verify` matches to this row.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table

from storage.schema import metadata

role_states = Table(
    "role_states",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("role", String(60), primary_key=True),
    Column("community_id", Integer, nullable=False),
    Column("platform", String(20), nullable=False),
    Column("target", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_role_states_role", "role", "state"),
)
