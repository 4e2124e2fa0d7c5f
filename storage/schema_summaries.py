"""Summaries: the text of messages posted in proposal threads, where a platform cannot
fetch history (Telegram, the console), and when each proposal was last summarised.

Only filled when `summaries.enabled` is on, only for messages in a proposal's thread or
topic, and deleted once the proposal has been closed for the retention period. Nothing
else a member writes is ever stored. `summary_topics` remembers which forum topic holds
which proposal, and `summary_runs` spaces summaries of one proposal (the rate limit).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from storage.schema import metadata

summary_messages = Table(
    "summary_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", Integer, nullable=False),
    Column("platform", String(20), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("posted_at", Float, nullable=False),
    UniqueConstraint("platform", "channel_id", "message_id", name="uq_summary_message"),
    Index("ix_summary_messages_proposal", "proposal_id"),
)

summary_topics = Table(
    "summary_topics",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("channel_id", String(100), primary_key=True),
    Column("thread_id", String(100), primary_key=True),
    Column("proposal_id", Integer, nullable=False),
    Index("ix_summary_topics_proposal", "proposal_id"),
)

summary_runs = Table(
    "summary_runs",
    metadata,
    Column("proposal_id", Integer, primary_key=True),
    Column("last_at", Float, nullable=False),
)
