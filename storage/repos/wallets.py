"""Wallet links, single-use link nonces and delegations.

Linking is decided inside the write transaction: the nonce is still unused and
unexpired, the address is not another member's, the member is past the cool-down.
A refused request writes nothing. Links go through a group committer like ballots,
so many members verifying at once share one transaction and one sync.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import members
from storage.schema_wallets import delegations, wallet_links, wallet_nonces

log = logging.getLogger(__name__)

ACTIVE_CACHE_SECONDS = 2.0  # bounds how stale another process's link/unlink can look
# Entries older than this are reloaded in the background while still served, so a busy
# community's cache never expires under its voters (a burst's entries, loaded together,
# used to expire together and hold every vote up for one reload).
REFRESH_AHEAD_SECONDS = ACTIVE_CACHE_SECONDS / 2
REFRESH_GATHER_SECONDS = 0.2


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


NONCE_FIELDS = tuple(f.name for f in fields(NonceRecord))


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
    platform: str | None = None  # the member's platform (v005); None on links made before


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


@dataclass(slots=True)
class _Plan:
    """What one link batch decided: an outcome and (if linked) a row per request."""

    outcomes: list[LinkOutcome]
    rows: list[dict[str, Any] | None]
    used: list[tuple[str, float]]  # (nonce, used_at)
    closes: list[tuple[int, float]]  # (member_id, unlinked_at) of links made before the batch


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
        # Concurrent /verify calls share one read for their pending nonces (a read each
        # cost more than the rest of verification together).
        self._latest: GroupCommitter[int, NonceRecord | None] = GroupCommitter(
            self._latest_nonces, max_batch=max_batch
        )
        self._active: dict[int, tuple[LinkRecord | None, float]] = {}
        self._delegations: dict[int, tuple[list[DelegationRecord], float]] = {}
        # Cache refreshes are batched too: the cached entries of a burst of voters expire
        # together, and 200 separate reads queued on the pool stalled every vote for
        # ~0.15 s (the vote benchmark's p99); batched, they are one or two queries.
        self._active_loader: GroupCommitter[int, LinkRecord | None] = GroupCommitter(
            self._load_active, max_batch=max_batch
        )
        self._delegation_loader: GroupCommitter[int, list[DelegationRecord]] = GroupCommitter(
            self._load_delegations, max_batch=max_batch
        )
        self._due_links: set[int] = set()
        self._due_delegations: set[int] = set()
        self._reloading: set[tuple[str, int]] = set()  # being reloaded: not due again
        self._refreshers: set[asyncio.Task[None]] = set()
        self._writes = 0  # local link/delegation changes; a refresh begun before one is dropped

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
        """The member's most recently issued nonce (used or not), or None.

        Batched: callers waiting at the same time are answered by one query.
        """
        return await self._latest.submit(member_id)

    async def _latest_nonces(self, member_ids: list[int]) -> list[NonceRecord | None]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(*(wallet_nonces.c[name] for name in NONCE_FIELDS)).where(
                    wallet_nonces.c.member_id.in_(sorted(set(member_ids)))
                )
            )
            latest: dict[int, NonceRecord] = {}
            for row in rows:
                record = NonceRecord(*row)  # columns selected in field order (cheaper)
                best = latest.get(record.member_id)
                # newest issued first; among equal times the smallest nonce (a stable order)
                if best is None or (record.issued_at, best.nonce) > (best.issued_at, record.nonce):
                    latest[record.member_id] = record
        return [latest.get(member_id) for member_id in member_ids]

    async def count_nonces(self) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(wallet_nonces)) or 0)

    # ------------------------------------------------------------------ links

    async def link(self, request: LinkRequest) -> LinkOutcome:
        """Link durably (group-committed); returns once committed, or the refusal."""
        return await self._committer.submit(request)

    async def drain(self) -> None:
        await self._committer.drain()
        for task in list(self._refreshers):
            task.cancel()
        await asyncio.gather(*self._refreshers, return_exceptions=True)

    async def link_many(self, requests: list[LinkRequest]) -> list[LinkOutcome]:
        """Decide and write a whole batch in one transaction with a fixed number of queries.

        The batch is decided in request order against what the database held at its
        start plus the earlier requests of the same batch (an address linked by request
        1 is "taken" for request 2), so the outcome equals running them one by one.
        """
        async with self.db.write() as conn:
            plan = await self._decide(conn, requests)
            outcomes, rows = plan.outcomes, plan.rows
            linked = [(request, row) for request, row in zip(requests, rows, strict=True) if row]
            if linked:
                if plan.closes:  # the members' previous links end when the new ones start
                    await conn.execute(
                        update(wallet_links)
                        .where(
                            wallet_links.c.member_id == bindparam("m"),
                            wallet_links.c.unlinked_at.is_(None),
                        )
                        .values(unlinked_at=bindparam("at")),
                        [{"m": member, "at": at} for member, at in plan.closes],
                    )
                link_ids = await self._insert_links(conn, [row for _, row in linked])
                await conn.execute(
                    update(wallet_nonces)
                    .where(wallet_nonces.c.nonce == bindparam("n"))
                    .values(used_at=bindparam("at")),
                    [{"n": nonce, "at": at} for nonce, at in plan.used],
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
                        for request, _ in linked
                    ],
                )
                ids_iter = iter(link_ids)
                outcomes = [
                    LinkOutcome(LinkRecord(id=next(ids_iter), **row)) if row else outcome
                    for outcome, row in zip(outcomes, rows, strict=True)
                ]
        for outcome in outcomes:
            if outcome.link is not None:
                self._writes += 1
                self._active.pop(outcome.link.member_id, None)
        return outcomes

    async def _insert_links(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the rows with one executemany and return their ids in the rows' order.

        INSERT … RETURNING with parameter order falls back to one statement per row on
        SQLite (2,000 driver round trips per 1,000 links), so the ids are read back
        instead: the write lock is held, so every row above the previous highest id is
        ours, and (member, address, linked_at) tells them apart (a member linking the
        same address twice in one batch is refused as "same").
        """
        before = await conn.scalar(select(func.max(wallet_links.c.id))) or 0
        await conn.execute(wallet_links.insert(), rows)
        found = await conn.execute(
            select(
                wallet_links.c.id,
                wallet_links.c.member_id,
                wallet_links.c.address,
                wallet_links.c.linked_at,
            ).where(wallet_links.c.id > before)
        )
        ids = {(row[1], row[2], row[3]): int(row[0]) for row in found}
        return [ids[(row["member_id"], row["address"], row["linked_at"])] for row in rows]

    async def _decide(self, conn: AsyncConnection, requests: list[LinkRequest]) -> _Plan:
        """Per request: its refusal, or the link row to insert; plus what else to write.

        Five reads for the whole batch: the nonces, the members' platforms, the members'
        active links, the active holders of the addresses, and each member's last change.
        """
        member_ids = sorted({r.member_id for r in requests})
        nonce_rows = {
            row.nonce: row
            for row in await conn.execute(
                select(
                    wallet_nonces.c.nonce,
                    wallet_nonces.c.member_id,
                    wallet_nonces.c.used_at,
                    wallet_nonces.c.expires_at,
                ).where(wallet_nonces.c.nonce.in_(sorted({r.nonce for r in requests})))
            )
        }
        active = select(
            wallet_links.c.community_id,
            wallet_links.c.address,
            wallet_links.c.member_id,
            wallet_links.c.platform,
        ).where(wallet_links.c.unlinked_at.is_(None))
        # An address is held once per platform of a community (issue 8: the same person
        # links it from Discord and from Telegram), so holders are keyed by platform too.
        platform_of: dict[int, str] = {
            row[0]: row[1]
            for row in await conn.execute(
                select(members.c.id, members.c.platform).where(members.c.id.in_(member_ids))
            )
        }
        # who holds each address (per community and platform), and each member's address
        holders: dict[tuple[int, str | None, str], int] = {}
        current: dict[int, tuple[int, str | None, str]] = {}
        for link in await conn.execute(
            active.where(
                or_(
                    wallet_links.c.address.in_(sorted({r.address for r in requests})),
                    wallet_links.c.member_id.in_(member_ids),
                )
            )
        ):
            holders[(link.community_id, link.platform, link.address)] = link.member_id
            current[link.member_id] = (link.community_id, link.platform, link.address)
        last_change: dict[int, float] = {}
        for changed in await conn.execute(
            select(
                wallet_links.c.member_id,
                func.max(wallet_links.c.linked_at),
                func.max(wallet_links.c.unlinked_at),
            )
            .where(wallet_links.c.member_id.in_(member_ids))
            .group_by(wallet_links.c.member_id)
        ):
            times = [t for t in changed[1:] if t is not None]
            if times:
                last_change[changed[0]] = max(times)
        used_now: dict[str, float] = {}
        closes: list[tuple[int, float]] = []
        rows: list[dict[str, Any] | None] = []
        outcomes: list[LinkOutcome] = []
        in_batch: dict[int, dict[str, Any]] = {}  # member → their row inserted by this batch
        for request in requests:
            row: dict[str, Any] | None = None
            nonce = nonce_rows.get(request.nonce)
            platform = platform_of.get(request.member_id)
            holder = holders.get((request.community_id, platform, request.address))
            last = last_change.get(request.member_id)
            if nonce is None or nonce.member_id != request.member_id:
                outcome = LinkOutcome(None, "missing")
            elif nonce.used_at is not None or request.nonce in used_now:
                outcome = LinkOutcome(None, "used")
            elif request.at > nonce.expires_at:
                outcome = LinkOutcome(None, "expired")
            elif holder is not None and holder != request.member_id:
                outcome = LinkOutcome(None, "taken", other_member=holder)
            elif holder is not None:
                outcome = LinkOutcome(None, "same")
            elif last is not None and request.at - last < request.cooldown_seconds:
                outcome = LinkOutcome(
                    None, "cooldown", wait_seconds=request.cooldown_seconds - (request.at - last)
                )
            else:
                outcome = LinkOutcome(None)
                previous = current.pop(request.member_id, None)
                if previous is not None:
                    holders.pop(previous, None)
                earlier = in_batch.get(request.member_id)
                if earlier is not None:  # linked earlier in this batch: close that row
                    earlier["unlinked_at"] = request.at
                elif previous is not None:  # linked before this batch: close it in the table
                    closes.append((request.member_id, request.at))
                row = {
                    "community_id": request.community_id,
                    "member_id": request.member_id,
                    "address": request.address,
                    "kind": request.kind,
                    "message": request.message,
                    "signature": request.signature,
                    "linked_at": request.at,
                    "unlinked_at": None,
                    "platform": platform,
                }
                in_batch[request.member_id] = row
                holders[(request.community_id, platform, request.address)] = request.member_id
                current[request.member_id] = (request.community_id, platform, request.address)
                last_change[request.member_id] = request.at
                used_now[request.nonce] = request.at
            outcomes.append(outcome)
            rows.append(row)
        return _Plan(outcomes, rows, list(used_now.items()), closes)

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
            if (
                now - cached[1] >= REFRESH_AHEAD_SECONDS
                and ("link", member_id) not in self._reloading
            ):
                self._due_links.add(member_id)
                self._refresh_soon()
            return cached[0]
        record = await self._active_loader.submit(member_id)
        self._active[member_id] = (record, now)
        return record

    def _refresh_soon(self) -> None:
        if not self._refreshers:
            task = asyncio.create_task(self._refresh(), name="wallet-cache-refresh")
            self._refreshers.add(task)
            task.add_done_callback(self._refreshers.discard)

    async def _refresh(self) -> None:
        """Reload every entry due for it, a query for all of them; an entry changed by a
        local write meanwhile keeps the write's view (it was dropped, and reloads)."""
        # Entries fall due one by one (each was loaded when its member first voted); a
        # short wait, well inside the time left before they expire, gathers them into
        # one query instead of one each.
        await asyncio.sleep(REFRESH_GATHER_SECONDS)
        while self._due_links or self._due_delegations:
            links, self._due_links = sorted(self._due_links), set()
            communities, self._due_delegations = sorted(self._due_delegations), set()
            marks = {("link", i) for i in links} | {("delegations", c) for c in communities}
            self._reloading |= marks
            started, writes = time.monotonic(), self._writes
            try:
                found = await self._load_active(links) if links else []
                delegated = await self._load_delegations(communities) if communities else []
            except Exception as error:  # the next use past the expiry reloads in the open
                log.debug("wallet cache refresh failed: %s", type(error).__name__)
                return
            finally:
                self._reloading -= marks
            if self._writes != writes:
                continue
            for member_id, record in zip(links, found, strict=True):
                self._active[member_id] = (record, started)
            for community_id, rows in zip(communities, delegated, strict=True):
                self._delegations[community_id] = (rows, started)

    async def _load_active(self, member_ids: list[int]) -> list[LinkRecord | None]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(wallet_links).where(
                    wallet_links.c.member_id.in_(set(member_ids)),
                    wallet_links.c.unlinked_at.is_(None),
                )
            )
            found = {row._mapping["member_id"]: _link(row) for row in rows}
        return [found.get(member_id) for member_id in member_ids]

    async def by_address(self, community_id: int, address: str) -> LinkRecord | None:
        """The active link of this address; with one per platform, the lowest member id's."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(wallet_links)
                    .where(
                        wallet_links.c.community_id == community_id,
                        wallet_links.c.address == address,
                        wallet_links.c.unlinked_at.is_(None),
                    )
                    .order_by(wallet_links.c.member_id)
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
        self._writes += 1
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
        self._writes += 1
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
        self._writes += 1
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
            if (
                now - cached[1] >= REFRESH_AHEAD_SECONDS
                and ("delegations", community_id) not in self._reloading
            ):
                self._due_delegations.add(community_id)
                self._refresh_soon()
            return cached[0]
        found = await self._delegation_loader.submit(community_id)
        self._delegations[community_id] = (found, now)
        return found

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
