"""Delegations: a member lends their voting power to another member or an address.

Only delegations in force at a proposal's snapshot count; every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update

from storage.cache import AheadCache
from storage.db import Database
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema_wallets import delegations

CACHE_SECONDS = 2.0  # bounds how stale another process's delegation can look


@dataclass(frozen=True, slots=True)
class DelegationRecord:
    id: int
    community_id: int
    delegator_id: int
    delegate_id: int | None
    delegate_address: str | None
    created_at: float
    revoked_at: float | None


def _delegation(row: Any) -> DelegationRecord:
    return DelegationRecord(**dict(row._mapping))


class DelegationRepo:
    def __init__(self, db: Database, audit: AuditRepo, *, max_batch: int = 1000) -> None:
        self.db = db
        self.audit = audit
        # Per community, briefly; reloaded ahead of expiry so no vote waits (storage/cache.py).
        self._delegations: AheadCache[int, list[DelegationRecord]] = AheadCache(
            self._load_delegations, ttl=CACHE_SECONDS, max_batch=max_batch
        )

    async def delegate(
        self,
        community_id: int,
        delegator_id: int,
        *,
        delegate_id: int | None,
        delegate_address: str | None,
        at: float,
    ) -> DelegationRecord:
        """Replace the delegator's active delegation with this one (audited)."""
        async with self.db.write() as conn:
            await conn.execute(
                update(delegations)
                .where(
                    delegations.c.delegator_id == delegator_id, delegations.c.revoked_at.is_(None)
                )
                .values(revoked_at=at)
            )
            values: dict[str, Any] = {
                "community_id": community_id,
                "delegator_id": delegator_id,
                "delegate_id": delegate_id,
                "delegate_address": delegate_address,
                "created_at": at,
                "revoked_at": None,
            }
            result = await conn.execute(delegations.insert().values(**values))
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "delegation.set",
                        f"member:{delegator_id}",
                        {
                            "delegator": delegator_id,
                            "delegate": delegate_id,
                            "address": delegate_address,
                        },
                        community_id,
                        at,
                    )
                ],
            )
        self._delegations.forget(community_id)
        return DelegationRecord(id=int(result.inserted_primary_key[0]), **values)  # type: ignore[index,arg-type]

    async def undelegate(self, delegator_id: int, *, at: float) -> DelegationRecord | None:
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(delegations).where(
                        delegations.c.delegator_id == delegator_id,
                        delegations.c.revoked_at.is_(None),
                    )
                )
            ).first()
            if row is None:
                return None
            await conn.execute(
                update(delegations).where(delegations.c.id == row.id).values(revoked_at=at)
            )
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "delegation.revoked",
                        f"member:{delegator_id}",
                        {"delegator": delegator_id},
                        row.community_id,
                        at,
                    )
                ],
            )
        self._delegations.forget(row.community_id)
        return _delegation(row)

    async def active_delegation(self, delegator_id: int) -> DelegationRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(delegations).where(
                        delegations.c.delegator_id == delegator_id,
                        delegations.c.revoked_at.is_(None),
                    )
                )
            ).first()
        return _delegation(row) if row else None

    async def all_delegations(self, community_id: int) -> list[DelegationRecord]:
        """Every delegation ever made in the community (cached briefly; local writes refresh)."""
        return await self._delegations.get(community_id)

    async def close(self) -> None:
        await self._delegations.close()

    async def _load_delegations(self, community_ids: list[int]) -> list[list[DelegationRecord]]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(delegations)
                .where(delegations.c.community_id.in_(set(community_ids)))
                .order_by(delegations.c.id)
            )
            by_community: dict[int, list[DelegationRecord]] = {c: [] for c in community_ids}
            for row in rows:
                by_community[row._mapping["community_id"]].append(_delegation(row))
        return [list(by_community[c]) for c in community_ids]

    async def delegations_at(self, community_id: int, as_of: float) -> list[DelegationRecord]:
        """Delegations in force at `as_of` (created by then, not revoked by then)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(delegations).where(
                    delegations.c.community_id == community_id,
                    delegations.c.created_at <= as_of,
                    or_(delegations.c.revoked_at.is_(None), delegations.c.revoked_at > as_of),
                )
            )
            return [_delegation(row) for row in rows]

    async def delegators_to(
        self, community_id: int, member_id: int, address: str | None, as_of: float
    ) -> list[int]:
        """Members whose delegation to this member (by member or address) held at `as_of`."""
        target = delegations.c.delegate_id == member_id
        if address is not None:
            target = or_(target, delegations.c.delegate_address == address)
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(delegations.c.delegator_id).where(
                    and_(
                        delegations.c.community_id == community_id,
                        target,
                        delegations.c.delegator_id != member_id,
                        delegations.c.created_at <= as_of,
                        or_(delegations.c.revoked_at.is_(None), delegations.c.revoked_at > as_of),
                    )
                )
            )
            return sorted({row[0] for row in rows})
