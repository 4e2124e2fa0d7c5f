"""Council tables: councils, their elections and candidacies, seats, motions, notices.

On the shared `metadata`; revision v009 (storage/migrations/versions) creates them.

* `councils` — one row per council: its seats, term, voting rule, electorate, who may
  stand, its powers (JSON) and its home place (where its election cards are posted).
* `council_elections` — each election: the seats and the term it fills, the nomination
  window, then the proposal that decides it; `candidates` freezes the member ids in the
  order of the proposal's choices, so `result["winners"]` maps back to members.
* `council_candidacies` — who stood in which election (and withdrew, if they did).
* `council_seats` — one row per member per term: cohort, term, the election and the
  proposal that seated them; `ended_at`/`end_reason` once the term ended or a recall
  unseated them.
* `council_motions` — decisions a proposal takes about a council: a veto of a passed
  proposal, or a recall of a member.
* `council_notices` — an outbox: what the council job still has to post (listeners of
  `ProposalClosed` cannot answer in the chat themselves).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.schema import metadata

councils = Table(
    "councils",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("name", String(40), nullable=False),
    Column("key", String(40), nullable=False),  # the name casefolded: unique per community
    Column("seats", Integer, nullable=False),
    Column("term_days", Float, nullable=False),
    Column("method", String(20), nullable=False),
    Column("options", Text, nullable=False, server_default="{}"),  # the method's rule
    Column("cohorts", Integer, nullable=False),
    Column("electorate", String(400), nullable=False),
    Column("nomination_hours", Float, nullable=False),
    Column("voting_hours", Float, nullable=False),
    Column("min_reputation", Float),
    Column("require_wallet", Boolean, nullable=False, server_default="0"),
    Column("powers", Text, nullable=False, server_default="{}"),
    Column("home_platform", String(20), nullable=False),
    Column("home_space", String(100), nullable=False),
    Column("home_channel", String(100), nullable=False),
    Column("home_thread", String(100)),
    Column("created_by", Integer, ForeignKey("members.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("community_id", "key", name="uq_council_name"),
)

council_elections = Table(
    "council_elections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("council_id", Integer, ForeignKey("councils.id"), nullable=False),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # first | regular | by
    Column("cohort", Integer, nullable=False),  # 0: every cohort (the first election)
    Column("seats", Integer, nullable=False),
    Column("term_start", Float),  # None: the term starts when the winners are seated
    Column("term_end", Float),
    Column("status", String(12), nullable=False),  # pending|nominating|voting|seated|failed
    Column("nomination_closes", Float),
    Column("extended", Boolean, nullable=False, server_default="0"),
    Column("candidates", Text),  # JSON member ids, in the order of the proposal's choices
    Column("proposal_id", Integer, ForeignKey("proposals.id")),
    Column("seat_id", Integer),  # a by-election: the seat it refills
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("ix_council_elections_council", "council_id", "status"),
    Index("ix_council_elections_proposal", "proposal_id"),
)

council_candidacies = Table(
    "council_candidacies",
    metadata,
    Column("election_id", Integer, ForeignKey("council_elections.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("seq", Integer, nullable=False),  # the order they stood in: the ballot's order
    Column("stood_at", Float, nullable=False),
    Column("withdrawn_at", Float),
    PrimaryKeyConstraint("election_id", "member_id"),
)

council_seats = Table(
    "council_seats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("council_id", Integer, ForeignKey("councils.id"), nullable=False),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("cohort", Integer, nullable=False),
    Column("term_start", Float, nullable=False),
    Column("term_end", Float, nullable=False),
    Column("election_id", Integer, ForeignKey("council_elections.id"), nullable=False),
    Column("proposal_id", Integer, ForeignKey("proposals.id")),  # None: elected unopposed
    Column("seated_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("end_reason", String(12)),  # term | recalled
    Index("ix_council_seats_council", "council_id", "ended_at"),
)

council_motions = Table(
    "council_motions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("council_id", Integer, ForeignKey("councils.id"), nullable=False),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # veto | recall
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=False, unique=True),
    Column("subject_proposal_id", Integer, ForeignKey("proposals.id")),  # veto: what it vetoes
    Column("seat_id", Integer, ForeignKey("council_seats.id")),  # recall: whose seat
    Column("needed", Float),  # veto: the "for" votes it needs
    Column("status", String(10), nullable=False),  # open | carried | failed
    Column("opened_at", Float, nullable=False),
    Column("decided_at", Float),
    Index("ix_council_motions_subject", "subject_proposal_id"),
)

council_notices = Table(
    "council_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("council_id", Integer, ForeignKey("councils.id"), nullable=False),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # text | card | refresh
    Column("text", Text, nullable=False, server_default=""),
    Column("proposal_id", Integer, ForeignKey("proposals.id")),
    Column("created_at", Float, nullable=False),
    Column("posted_at", Float),
    Index("ix_council_notices_unposted", "posted_at", "id"),
)

COUNCIL_TABLES = (
    councils,
    council_elections,
    council_candidacies,
    council_seats,
    council_motions,
    council_notices,
)
