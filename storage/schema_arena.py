"""Arena tables: imported prompt/output pairs, battles, and one rating per member per battle.

On the shared `metadata`. Revision v003 (storage/migrations/versions) creates them in a
database and v016 adds the style, category, gold and leak columns; tests/storage checks
that the revisions build exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from storage.schema import metadata

arena_queue = Table(
    "arena_queue",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prompt", Text, nullable=False),
    Column("model_a", String(200), nullable=False),
    Column("output_a", Text, nullable=False),
    Column("model_b", String(200), nullable=False),
    Column("output_b", Text, nullable=False),
    Column("source", String(400), nullable=False, server_default=""),
    Column("queued_at", Float, nullable=False),
    Column("used_by", Integer),  # the battle that consumed it
    Column("categories", Text, nullable=False, server_default="[]"),  # JSON list (v016)
    Column("gold", String(200)),  # gold pair: the better model (v016); never consumed
    Index("ix_arena_queue_unused", "used_by", "id"),
)

arena_battles = Table(
    "arena_battles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("model_a", String(200), nullable=False),
    Column("output_a", Text, nullable=False),
    Column("model_b", String(200), nullable=False),
    Column("output_b", Text, nullable=False),
    Column("author_id", Integer, ForeignKey("members.id")),
    Column("origin", Text, nullable=False, server_default="{}"),  # where the card was posted
    Column("status", String(16), nullable=False),  # open | revealed
    Column("created_at", Float, nullable=False),
    Column("reveal_at", Float, nullable=False),
    Column("revealed_at", Float),
    Column("result", Text),  # the split at reveal, canonical JSON
    Column("style", Text),  # FastChat's conv_metadata style counts, JSON (v016)
    Column("categories", Text, nullable=False, server_default="[]"),  # JSON list (v016)
    Column("gold", String(8)),  # gold battle: the known better choice, a | b (v016)
    Column("leak", String(200)),  # a model name still in an output after redaction (v016)
    Index("ix_arena_battles_status_reveal", "status", "reveal_at"),
    Index("ix_arena_battles_community", "community_id", "id"),
)

arena_votes = Table(
    "arena_votes",
    metadata,
    Column("battle_id", Integer, ForeignKey("arena_battles.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("choice", String(8), nullable=False),  # a | b | tie | bothbad
    Column("cast_at", Float, nullable=False),
    PrimaryKeyConstraint("battle_id", "member_id"),
)

ARENA_TABLES = (arena_queue, arena_battles, arena_votes)
