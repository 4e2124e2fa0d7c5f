"""councils: councils, elections, candidacies, seats, motions, notices

Elected councils: each council, its elections (nomination window, then a proposal), the
members who stood, the seats they hold for a term, the vetoes and recalls proposals
decide about it, and an outbox of what its scheduled job still has to post.

Revision ID: v012
Revises: v011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v012"
down_revision = "v011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "councils",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("term_days", sa.Float, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("cohorts", sa.Integer, nullable=False),
        sa.Column("electorate", sa.String(400), nullable=False),
        sa.Column("nomination_hours", sa.Float, nullable=False),
        sa.Column("voting_hours", sa.Float, nullable=False),
        sa.Column("min_reputation", sa.Float),
        sa.Column("require_wallet", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("powers", sa.Text, nullable=False, server_default="{}"),
        sa.Column("home_platform", sa.String(20), nullable=False),
        sa.Column("home_space", sa.String(100), nullable=False),
        sa.Column("home_channel", sa.String(100), nullable=False),
        sa.Column("home_thread", sa.String(100)),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("community_id", "key", name="uq_council_name"),
    )
    op.create_table(
        "council_elections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("cohort", sa.Integer, nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("term_start", sa.Float),
        sa.Column("term_end", sa.Float),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("nomination_closes", sa.Float),
        sa.Column("extended", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("candidates", sa.Text),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id")),
        sa.Column("seat_id", sa.Integer),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("ix_council_elections_council", "council_elections", ["council_id", "status"])
    op.create_index("ix_council_elections_proposal", "council_elections", ["proposal_id"])
    op.create_table(
        "council_candidacies",
        sa.Column("election_id", sa.Integer, sa.ForeignKey("council_elections.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("stood_at", sa.Float, nullable=False),
        sa.Column("withdrawn_at", sa.Float),
        sa.PrimaryKeyConstraint("election_id", "member_id"),
    )
    op.create_table(
        "council_seats",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
        sa.Column("cohort", sa.Integer, nullable=False),
        sa.Column("term_start", sa.Float, nullable=False),
        sa.Column("term_end", sa.Float, nullable=False),
        sa.Column("election_id", sa.Integer, sa.ForeignKey("council_elections.id"), nullable=False),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id")),
        sa.Column("seated_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
        sa.Column("end_reason", sa.String(12)),
    )
    op.create_index("ix_council_seats_council", "council_seats", ["council_id", "ended_at"])
    op.create_table(
        "council_motions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column(
            "proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), nullable=False, unique=True
        ),
        sa.Column("subject_proposal_id", sa.Integer, sa.ForeignKey("proposals.id")),
        sa.Column("seat_id", sa.Integer, sa.ForeignKey("council_seats.id")),
        sa.Column("needed", sa.Float),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("decided_at", sa.Float),
    )
    op.create_index("ix_council_motions_subject", "council_motions", ["subject_proposal_id"])
    op.create_table(
        "council_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id")),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("posted_at", sa.Float),
    )
    op.create_index("ix_council_notices_unposted", "council_notices", ["posted_at", "id"])


def downgrade() -> None:
    raise NotImplementedError("govbot migrates forward only: restore a backup to go back")
