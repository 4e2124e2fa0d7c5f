"""One person across platforms: accounts linked to the same address are one voter.

A community may span Discord and Telegram; each platform account is its own member row,
and an address may be linked once per platform (v005). The *voter id* of a member is the
lowest member id among the community's accounts actively linked to the member's address,
or the member's own id when not linked. Ballots, battle ratings and reputation are keyed
by it, so the same person counts once. Nothing here is cached: a link or unlink made by
another process shows at once, at the price of one indexed read per lookup.
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.records import MemberRecord
from storage.schema import community_spaces, members
from storage.schema_contributions import contributions
from storage.schema_wallets import wallet_links


class IdentityRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def voter_id(self, member: MemberRecord) -> int:
        """The canonical id this member votes, rates and earns reputation under."""
        mine = wallet_links.alias("mine")
        same = wallet_links.alias("same")
        query = (
            select(func.min(same.c.member_id))
            .select_from(
                mine.join(
                    same,
                    (same.c.community_id == mine.c.community_id)
                    & (same.c.address == mine.c.address),
                )
            )
            .where(
                mine.c.member_id == member.id,
                mine.c.unlinked_at.is_(None),
                same.c.unlinked_at.is_(None),
            )
        )
        async with self.db.read() as conn:
            found = await conn.scalar(query)
        return member.id if found is None else min(int(found), member.id)

    async def accounts(self, member: MemberRecord) -> list[MemberRecord]:
        """Every account of the same person (this one included), lowest id first."""
        link = select(wallet_links.c.address).where(
            wallet_links.c.member_id == member.id, wallet_links.c.unlinked_at.is_(None)
        )
        query = (
            select(members)
            .join(wallet_links, wallet_links.c.member_id == members.c.id)
            .where(
                wallet_links.c.community_id == member.community_id,
                wallet_links.c.unlinked_at.is_(None),
                wallet_links.c.address.in_(link.scalar_subquery()),
            )
            .order_by(members.c.id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        found = [MemberRecord(*row[:7]) for row in rows]
        return found if any(m.id == member.id for m in found) else [member]

    async def canonical_map(self, community_id: int) -> dict[int, int]:
        """{member id: voter id} for every linked account that is not its own voter."""
        query = (
            select(wallet_links.c.address, wallet_links.c.member_id)
            .where(
                wallet_links.c.community_id == community_id,
                wallet_links.c.unlinked_at.is_(None),
            )
            .order_by(wallet_links.c.address, wallet_links.c.member_id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        first: dict[str, int] = {}
        mapping: dict[int, int] = {}
        for address, member_id in rows:
            canonical = first.setdefault(address, member_id)
            if canonical != member_id:
                mapping[member_id] = canonical
        return mapping

    async def count_voters(self, community_id: int) -> int:
        """Members seen, counting each person linked on several platforms once."""
        async with self.db.read() as conn:
            accounts = await conn.scalar(
                select(func.count())
                .select_from(members)
                .where(members.c.community_id == community_id)
            )
            linked, addresses = (
                await conn.execute(
                    select(func.count(), func.count(wallet_links.c.address.distinct())).where(
                        wallet_links.c.community_id == community_id,
                        wallet_links.c.unlinked_at.is_(None),
                    )
                )
            ).one()
        return int(accounts or 0) - (int(linked or 0) - int(addresses or 0))

    async def platforms(self, community_id: int) -> set[str]:
        """The platforms whose spaces are mapped to this community."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(community_spaces.c.platform.distinct()).where(
                    community_spaces.c.community_id == community_id
                )
            )
            return {row[0] for row in rows}

    async def spaces(self, community_id: int) -> list[tuple[str, str]]:
        """(platform, space id) of every space mapped to this community."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(community_spaces.c.platform, community_spaces.c.space_id)
                .where(community_spaces.c.community_id == community_id)
                .order_by(community_spaces.c.platform, community_spaces.c.space_id)
            )
            return [(row[0], row[1]) for row in rows]

    async def received_by_platform(self, member_ids: list[int]) -> dict[str, float]:
        """Counted, live credit received by these accounts, summed per platform."""
        c = contributions.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(c.platform, func.sum(c.weight))
                .where(c.receiver_id.in_(member_ids), c.counted.is_(True), c.retracted_at.is_(None))
                .group_by(c.platform)
                .order_by(c.platform)
            )
            return {row[0]: float(row[1] or 0.0) for row in rows}
