"""Wallet links, single-use link nonces and delegations.

Linking is decided inside the write transaction: the nonce is still unused and
unexpired, the address is not another member's, the member is past the cool-down.
A refused request writes nothing. Links go through a group committer like ballots,
so many members verifying at once share one transaction and one sync.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema_wallets import delegations, wallet_links, wallet_nonces

ACTIVE_CACHE_SECONDS = 2.0  # bounds how stale another process's link/unlink can look


@dataclass(frozen=True, slots=True)
class NonceRecord:
    nonce: str
    community_id: int
    member_id: int
    address: str
    message: str
    issued_at: float
    expires_at: float
    used_at: float | None


@dataclass(frozen=True, slots=True)
class LinkRecord:
    id: int
    community_id: int
    member_id: int
    address: str
    kind: str
    message: str
    signature: str
    linked_at: float
    unlinked_at: float | None


@dataclass(frozen=True, slots=True)
class DelegationRecord:
    id: int
    community_id: int
    delegator_id: int
    delegate_id: int | None
    delegate_address: str | None
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True, slots=True)
class LinkRequest:
    nonce: str
    community_id: int
    member_id: int
    address: str
    kind: str
    message: str
    signature: str
    at: float
    cooldown_seconds: float


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """`refused` is None when linked, else: used, expired, missing, taken, cooldown."""

    link: LinkRecord | None
    refused: str | None = None
    other_member: int | None = None
    wait_seconds: float = 0.0


def _nonce(row: Any) -> NonceRecord:
    return NonceRecord(**dict(row._mapping))


def _link(row: Any) -> LinkRecord:
    return LinkRecord(**dict(row._mapping))


def _delegation(row: Any) -> DelegationRecord:
    return DelegationRecord(**dict(row._mapping))


class WalletRepo:
    def __init__(self, db: Database, audit: AuditRepo, *, max_batch: int = 1000) -> None:
        self.db = db
        self.audit = audit
        self._committer: GroupCommitter[LinkRequest, LinkOutcome] = GroupCommitter(
            self.link_many, max_batch=max_batch
        )
        self._active: dict[int, tuple[LinkRecord | None, float]] = {}
        self._delegations: dict[int, tuple[list[DelegationRecord], float]] = {}

    # ------------------------------------------------------------------ nonces

    async def issue(self, record: NonceRecord) -> None:
        """Store a fresh nonce; the member's earlier unused ones are superseded (deleted)."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(wallet_nonces).where(
                    wallet_nonces.c.member_id == record.member_id,
                    wallet_nonces.c.used_at.is_(None),
                )
            )
            await conn.execute(
                wallet_nonces.insert().values(
                    nonce=record.nonce,
                    community_id=record.community_id,
                    member_id=record.member_id,
                    address=record.address,
                    message=record.message,
                    issued_at=record.issued_at,
                    expires_at=record.expires_at,
                    used_at=record.used_at,
                )
            )

    async def nonce(self, nonce: str) -> NonceRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(wallet_nonces).where(wallet_nonces.c.nonce == nonce))
            ).first()
        return _nonce(row) if row else None

    async def latest_nonce(self, member_id: int) -> NonceRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(wallet_nonces)
                    .where(wallet_nonces.c.member_id == member_id)
                    .order_by(wallet_nonces.c.issued_at.desc(), wallet_nonces.c.nonce)
                    .limit(1)
                )
            ).first()
        return _nonce(row) if row else None

    async def count_nonces(self) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(wallet_nonces)) or 0)

    # ------------------------------------------------------------------ links

    async def link(self, request: LinkRequest) -> LinkOutcome:
        """Link durably (group-committed); returns once committed, or the refusal."""
        return await self._committer.submit(request)

    async def drain(self) -> None:
        await self._committer.drain()

    async def link_many(self, requests: list[LinkRequest]) -> list[LinkOutcome]:
        outcomes: list[LinkOutcome] = []
        async with self.db.write() as conn:
            for request in requests:
                outcomes.append(await self._link_one(conn, request))
        for outcome in outcomes:
            if outcome.link is not None:
                self._active.pop(outcome.link.member_id, None)
        return outcomes

    async def _link_one(self, conn: AsyncConnection, request: LinkRequest) -> LinkOutcome:
        row = (
            await conn.execute(select(wallet_nonces).where(wallet_nonces.c.nonce == request.nonce))
        ).first()
        if row is None or row.member_id != request.member_id:
            return LinkOutcome(None, "missing")
        if row.used_at is not None:
            return LinkOutcome(None, "used")
        if request.at > row.expires_at:
            return LinkOutcome(None, "expired")
        holder = (
            await conn.execute(
                select(wallet_links.c.member_id).where(
                    wallet_links.c.community_id == request.community_id,
                    wallet_links.c.address == request.address,
                    wallet_links.c.unlinked_at.is_(None),
                )
            )
        ).first()
        if holder is not None and holder[0] != request.member_id:
            return LinkOutcome(None, "taken", other_member=holder[0])
        if holder is not None:
            return LinkOutcome(None, "same")
        last = await self._last_change(conn, request.member_id)
        if last is not None and request.at - last < request.cooldown_seconds:
            return LinkOutcome(
                None, "cooldown", wait_seconds=request.cooldown_seconds - (request.at - last)
            )
        await conn.execute(
            update(wallet_links)
            .where(
                wallet_links.c.member_id == request.member_id, wallet_links.c.unlinked_at.is_(None)
            )
            .values(unlinked_at=request.at)
        )
        values: dict[str, Any] = {
            "community_id": request.community_id,
            "member_id": request.member_id,
            "address": request.address,
            "kind": request.kind,
            "message": request.message,
            "signature": request.signature,
            "linked_at": request.at,
            "unlinked_at": None,
        }
        result = await conn.execute(wallet_links.insert().values(**values))
        link_id = result.inserted_primary_key[0]  # type: ignore[index]
        await conn.execute(
            update(wallet_nonces)
            .where(wallet_nonces.c.nonce == request.nonce)
            .values(used_at=request.at)
        )
        await self.audit.append(
            conn,
            [
                NewEntry(
                    "wallet.linked",
                    f"member:{request.member_id}",
                    {
                        "member": request.member_id,
                        "address": request.address,
                        "kind": request.kind,
                        "message": request.message,
                        "signature": request.signature,
                    },
                    request.community_id,
                    request.at,
                )
            ],
        )
        return LinkOutcome(LinkRecord(id=int(link_id), **values))

    async def _last_change(self, conn: AsyncConnection, member_id: int) -> float | None:
        row = (
            await conn.execute(
                select(
                    func.max(wallet_links.c.linked_at), func.max(wallet_links.c.unlinked_at)
                ).where(wallet_links.c.member_id == member_id)
            )
        ).first()
        if row is None:
            return None
        times = [t for t in row if t is not None]
        return max(times) if times else None

    async def last_change(self, member_id: int) -> float | None:
        """When the member last linked or unlinked (for the cool-down), or None."""
        async with self.db.read() as conn:
            return await self._last_change(conn, member_id)

    async def active(self, member_id: int, *, fresh: bool = False) -> LinkRecord | None:
        """The member's current link (cached briefly per process; local writes refresh it)."""
        now = time.monotonic()
        cached = self._active.get(member_id)
        if not fresh and cached is not None and now - cached[1] < ACTIVE_CACHE_SECONDS:
            return cached[0]
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(wallet_links).where(
                        wallet_links.c.member_id == member_id, wallet_links.c.unlinked_at.is_(None)
                    )
                )
            ).first()
        record = _link(row) if row else None
        self._active[member_id] = (record, now)
        return record

    async def by_address(self, community_id: int, address: str) -> LinkRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(wallet_links).where(
                        wallet_links.c.community_id == community_id,
                        wallet_links.c.address == address,
                        wallet_links.c.unlinked_at.is_(None),
                    )
                )
            ).first()
        return _link(row) if row else None

    async def active_in_community(self, community_id: int) -> list[LinkRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(wallet_links)
                .where(
                    wallet_links.c.community_id == community_id,
                    wallet_links.c.unlinked_at.is_(None),
                )
                .order_by(wallet_links.c.member_id)
            )
            return [_link(row) for row in rows]

    async def unlink(self, member_id: int, *, at: float) -> LinkRecord | None:
        """Close the member's link; None if there was none."""
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(wallet_links).where(
                        wallet_links.c.member_id == member_id, wallet_links.c.unlinked_at.is_(None)
                    )
                )
            ).first()
            if row is None:
                return None
            await conn.execute(
                update(wallet_links).where(wallet_links.c.id == row.id).values(unlinked_at=at)
            )
            record = _link(row)
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "wallet.unlinked",
                        f"member:{member_id}",
                        {"member": member_id, "address": record.address},
                        record.community_id,
                        at,
                    )
                ],
            )
        self._active.pop(member_id, None)
        return record

    async def count_links(self) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(wallet_links)) or 0)

    # ------------------------------------------------------------------ delegations

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
        self._delegations.pop(community_id, None)
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
        self._delegations.pop(row.community_id, None)
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
        now = time.monotonic()
        cached = self._delegations.get(community_id)
        if cached is not None and now - cached[1] < ACTIVE_CACHE_SECONDS:
            return cached[0]
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(delegations)
                .where(delegations.c.community_id == community_id)
                .order_by(delegations.c.id)
            )
            found = [_delegation(row) for row in rows]
        self._delegations[community_id] = (found, now)
        return found

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
