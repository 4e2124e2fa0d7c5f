"""Persistence for govbot: knows nothing of handlers, bots or platforms."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.migrations import migrate
from storage.repos.arena import ArenaRepo
from storage.repos.audit import AuditRepo
from storage.repos.ballots import BallotRepo
from storage.repos.communities import CommunityRepo, MemberRepo
from storage.repos.contributions import ContributionRepo
from storage.repos.council_motions import CouncilMotionRepo
from storage.repos.councils import CouncilRepo
from storage.repos.delegations import DelegationRepo
from storage.repos.deliveries import DeliveryRepo
from storage.repos.disputes import DisputeRepo
from storage.repos.identity import IdentityRepo
from storage.repos.leases import LeaseRepo
from storage.repos.nonces import NonceRepo
from storage.repos.proposals import CardRepo, ProposalRepo
from storage.repos.published import PublicRepo
from storage.repos.reach import ReminderRepo
from storage.repos.reputation import ReputationRepo
from storage.repos.rewards import RewardsRepo
from storage.repos.roles import RoleStateRepo
from storage.repos.summaries import SummaryRepo
from storage.repos.wallets import WalletRepo


@dataclass
class Storage:
    """Every repository over one database, built once."""

    db: Database
    audit: AuditRepo
    communities: CommunityRepo
    members: MemberRepo
    ballots: BallotRepo
    proposals: ProposalRepo
    cards: CardRepo
    arena: ArenaRepo
    wallets: WalletRepo  # links
    nonces: NonceRepo
    delegations: DelegationRepo
    contributions: ContributionRepo
    reputation: ReputationRepo
    identity: IdentityRepo  # one person across platforms
    leases: LeaseRepo  # one process at a time per background job
    rewards: RewardsRepo  # reward epochs, allocations, acknowledgements
    public: PublicRepo  # read-only: the public log, pages and exports
    reminders: ReminderRepo  # reminders sent once, private-reminder opt-ins
    deliveries: DeliveryRepo  # platform events already handled, by their platform id
    councils: CouncilRepo  # councils, their elections, candidacies and seats
    council_motions: CouncilMotionRepo  # vetoes and recalls
    summaries: SummaryRepo  # thread messages kept for summaries, their rate limit
    roles: RoleStateRepo  # what the bot last did about each member's rule-following roles
    disputes: DisputeRepo  # disputes, their jurors and rulings, voided credits

    async def close(self) -> None:
        await self.ballots.drain()
        await self.wallets.drain()
        await self.delegations.close()
        await self.contributions.drain()
        await self.deliveries.drain()
        await self.db.close()


async def open_storage(
    url: str, *, sqlite_synchronous: str = "FULL", max_batch: int = 1000
) -> Storage:
    """Connect, migrate to the latest schema, and build the repositories.

    A refused or failed migration (`storage.migrations.MigrationError`, e.g. a database
    newer than this code) closes the engine before it propagates, so no pool thread
    outlives the refusal.
    """
    db = Database(url, sqlite_synchronous=sqlite_synchronous)
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    audit = AuditRepo(db)
    communities = CommunityRepo(db, audit)
    deliveries = DeliveryRepo(db, max_batch=max_batch)
    ballots = BallotRepo(db, audit, deliveries, max_batch=max_batch)
    proposals = ProposalRepo(db, audit, communities, ballots)
    return Storage(
        db=db,
        audit=audit,
        communities=communities,
        members=MemberRepo(db),
        ballots=ballots,
        proposals=proposals,
        cards=CardRepo(db),
        arena=ArenaRepo(db, audit),
        wallets=WalletRepo(db, audit, max_batch=max_batch),
        nonces=NonceRepo(db, max_batch=max_batch),
        delegations=DelegationRepo(db, audit, max_batch=max_batch),
        contributions=ContributionRepo(db, audit),
        reputation=ReputationRepo(db),
        identity=IdentityRepo(db),
        leases=LeaseRepo(db),
        rewards=RewardsRepo(db, audit),
        public=PublicRepo(db, communities),
        reminders=ReminderRepo(db, audit),
        deliveries=deliveries,
        councils=CouncilRepo(db, audit, proposals),
        council_motions=CouncilMotionRepo(db, audit, proposals),
        summaries=SummaryRepo(db),
        roles=RoleStateRepo(db, audit),
        disputes=DisputeRepo(db, audit, proposals),
    )
