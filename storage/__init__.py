"""Persistence for govbot: knows nothing of handlers, bots or platforms."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.migrations import migrate
from storage.repos.arena import ArenaRepo
from storage.repos.audit import AuditRepo
from storage.repos.ballots import BallotRepo
from storage.repos.communities import CommunityRepo, MemberRepo
from storage.repos.contributions import ContributionRepo, ReputationRepo
from storage.repos.deliveries import DeliveryRepo
from storage.repos.identity import IdentityRepo
from storage.repos.leases import LeaseRepo
from storage.repos.proposals import CardRepo, ProposalRepo
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
    wallets: WalletRepo
    contributions: ContributionRepo
    reputation: ReputationRepo
    identity: IdentityRepo  # one person across platforms (issue 8)
    leases: LeaseRepo  # one process at a time per background job (issue 9)
    deliveries: DeliveryRepo  # platform events already handled, by their platform id

    async def close(self) -> None:
        await self.ballots.drain()
        await self.wallets.drain()
        await self.contributions.drain()
        await self.deliveries.drain()
        await self.db.close()


async def open_storage(
    url: str, *, sqlite_synchronous: str = "FULL", max_batch: int = 1000
) -> Storage:
    """Connect, migrate to the latest schema, and build the repositories."""
    db = Database(url, sqlite_synchronous=sqlite_synchronous)
    await migrate(db)
    audit = AuditRepo(db)
    communities = CommunityRepo(db, audit)
    deliveries = DeliveryRepo(db, max_batch=max_batch)
    ballots = BallotRepo(db, audit, deliveries, max_batch=max_batch)
    return Storage(
        db=db,
        audit=audit,
        communities=communities,
        members=MemberRepo(db),
        ballots=ballots,
        proposals=ProposalRepo(db, audit, communities, ballots),
        cards=CardRepo(db),
        arena=ArenaRepo(db, audit),
        wallets=WalletRepo(db, audit, max_batch=max_batch),
        contributions=ContributionRepo(db, audit),
        reputation=ReputationRepo(db),
        identity=IdentityRepo(db),
        leases=LeaseRepo(db),
        deliveries=deliveries,
    )
