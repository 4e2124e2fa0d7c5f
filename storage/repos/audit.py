"""The audit log: every state change appended to one SHA-256 hash chain.

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON,
so altering, removing or reordering any stored entry breaks every hash after it.
Appends happen inside `Database.write()`, which serialises writers across processes,
so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import AuditEntry, dumps
from storage.schema import audit_log

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append; seq, hashes are assigned by `append`."""

    kind: str
    subject: str
    payload: dict[str, Any]
    community_id: int | None
    at: float


def entry_hash(
    prev_hash: str,
    seq: int,
    at: float,
    community_id: int | None,
    kind: str,
    subject: str,
    payload_text: str,
) -> str:
    """The chained hash of one entry; `govbot audit verify` recomputes exactly this.

    The time is hashed as the float the column stores (`repr(float(at))`): a caller
    passing an int (`at=0`) must hash "0.0", what is read back, not "0"."""
    return chain_hash(prev_hash, seq, repr(float(at)), community_id, kind, subject, payload_text)


def chain_hash(
    prev_hash: str,
    seq: int,
    at_text: str,
    community_id: int | None,
    kind: str,
    subject: str,
    payload_text: str,
) -> str:
    """The hash with the time already written as text (`repr` of the stored float).

    The published log carries that text, so a verifier never formats a float itself.
    """
    body = dumps(
        {
            "seq": seq,
            "at": at_text,
            "community": community_id,
            "kind": kind,
            "subject": subject,
            "payload": payload_text,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _entry(row: Any) -> tuple[AuditEntry, str]:
    m = row._mapping
    try:
        payload = json.loads(m["payload"])
    except ValueError:
        payload = {}
    entry = AuditEntry(
        m["seq"],
        m["at"],
        m["community_id"],
        m["kind"],
        m["subject"],
        payload if isinstance(payload, dict) else {},
        m["prev_hash"],
        m["hash"],
    )
    return entry, m["payload"]


class AuditRepo:
    """Appends to and reads the chain."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def head(self, conn: AsyncConnection) -> tuple[int, str]:
        row = (
            await conn.execute(
                select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    async def append(self, conn: AsyncConnection, entries: list[NewEntry]) -> list[AuditEntry]:
        """Chain and insert entries inside the caller's write transaction."""
        if not entries:
            return []
        seq, prev = await self.head(conn)
        rows: list[dict[str, Any]] = []
        out: list[AuditEntry] = []
        for new in entries:
            seq += 1
            text = dumps(new.payload)
            digest = entry_hash(prev, seq, new.at, new.community_id, new.kind, new.subject, text)
            rows.append(
                {
                    "seq": seq,
                    "at": new.at,
                    "community_id": new.community_id,
                    "kind": new.kind,
                    "subject": new.subject,
                    "payload": text,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            out.append(
                AuditEntry(
                    seq, new.at, new.community_id, new.kind, new.subject, new.payload, prev, digest
                )
            )
            prev = digest
        await conn.execute(audit_log.insert(), rows)
        return out

    async def entries(
        self, batch: int = 5000, *, since: int = 0, limit: int | None = None
    ) -> AsyncIterator[tuple[AuditEntry, str]]:
        """Entries after `since` in order, with their stored payload text (for re-hashing)."""
        last = since
        left = limit
        while left is None or left > 0:
            size = batch if left is None else min(batch, left)
            async with self.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > last)
                        .order_by(audit_log.c.seq)
                        .limit(size)
                    )
                ).all()
            if not rows:
                return
            for row in rows:
                entry, text = _entry(row)
                yield entry, text
                last = entry.seq
            if left is not None:
                left -= len(rows)

    async def by_hash(self, digest: str) -> AuditEntry | None:
        """The entry with this hash (a ballot's receipt is its entry's hash)."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(audit_log).where(audit_log.c.hash == digest))).first()
        return _entry(row)[0] if row else None

    async def tip(self) -> tuple[int, str]:
        """(index, hash) of the newest entry; (0, GENESIS) for an empty log."""
        async with self.db.read() as conn:
            return await self.head(conn)

    async def append_if(
        self,
        kind: str,
        decide: Callable[[tuple[int, str], AuditEntry | None], NewEntry | None],
    ) -> AuditEntry | None:
        """Append what `decide` returns, seeing the head and the newest entry of `kind`.

        Both are read inside the write transaction, so of several processes asking at
        once exactly one appends (the periodic checkpoint relies on this).
        """
        async with self.db.write() as conn:
            head = await self.head(conn)
            row = (
                await conn.execute(
                    select(audit_log)
                    .where(audit_log.c.kind == kind)
                    .order_by(audit_log.c.seq.desc())
                    .limit(1)
                )
            ).first()
            new = decide(head, _entry(row)[0] if row else None)
            if new is None:
                return None
            [entry] = await self.append(conn, [new])
            return entry

    async def hash_of(self, kind: str, subject: str) -> str:
        """The hash of the first entry of `kind` about `subject` ('' if there is none)."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(audit_log.c.hash)
                    .where(audit_log.c.kind == kind, audit_log.c.subject == subject)
                    .order_by(audit_log.c.seq)
                    .limit(1)
                )
            ).first()
        return row[0] if row else ""

    async def count(self) -> int:
        async with self.db.read() as conn:
            seq, _ = await self.head(conn)
        return seq
