"""Single-use link nonces: the Sign-In with Ethereum messages /link issued, by nonce.

A nonce is consumed by the link it authorises (`WalletRepo.link_many` marks it used in
the link's own transaction); issuing a new one supersedes the member's unused ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, func, select

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.schema_wallets import wallet_nonces


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


def _nonce(row: Any) -> NonceRecord:
    return NonceRecord(**dict(row._mapping))


class NonceRepo:
    def __init__(self, db: Database, *, max_batch: int = 1000) -> None:
        self.db = db
        # Concurrent /verify calls share one read for their pending nonces (a read each
        # cost more than the rest of verification together).
        self._latest: GroupCommitter[int, NonceRecord | None] = GroupCommitter(
            self._latest_nonces, max_batch=max_batch
        )

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
