"""Wallet links: which address each member holds, and since when.

A link consumes a single-use nonce (`storage.repos.nonces`) in the same transaction.
Linking is decided inside the write transaction: the nonce is still unused and
unexpired, the address is not another member's, the member is past the cool-down.
A refused request writes nothing. Links go through a group committer like ballots,
so many members verifying at once share one transaction and one sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cache import AheadCache
from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import members
from storage.schema_wallets import wallet_links, wallet_nonces

ACTIVE_CACHE_SECONDS = 2.0  # bounds how stale another process's link/unlink can look


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


def _link(row: Any) -> LinkRecord:
    return LinkRecord(**dict(row._mapping))


class WalletRepo:
    """Links between members and addresses (one active link per member)."""

    def __init__(self, db: Database, audit: AuditRepo, *, max_batch: int = 1000) -> None:
        self.db = db
        self.audit = audit
        self._committer: GroupCommitter[LinkRequest, LinkOutcome] = GroupCommitter(
            self.link_many, max_batch=max_batch
        )
        # Each member's link, briefly: misses share one query, and a busy member's entry
        # is reloaded before it expires (storage/cache.py), so a burst of voters never
        # waits for the reload of entries that were all loaded, and expire, together.
        self._active: AheadCache[int, LinkRecord | None] = AheadCache(
            self._load_active, ttl=ACTIVE_CACHE_SECONDS, max_batch=max_batch
        )

    # ------------------------------------------------------------------ links

    async def link(self, request: LinkRequest) -> LinkOutcome:
        """Link durably (group-committed); returns once committed, or the refusal."""
        return await self._committer.submit(request)

    async def drain(self) -> None:
        await self._committer.drain()
        await self._active.close()

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
                self._active.forget(outcome.link.member_id)
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
        # An address is held once per platform of a community (the same person
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
        return await self._active.get(member_id, fresh=fresh)

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
        self._active.forget(member_id)
        return record

    async def count_links(self) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(wallet_links)) or 0)
