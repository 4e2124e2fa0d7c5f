"""Communities, the platform spaces mapped to them, and their members."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.group_commit import GroupCommitter
from storage.records import CommunityRecord, MemberRecord, dumps
from storage.repos.audit import AuditRepo, NewEntry
from storage.schema import communities, community_spaces, members


def _community(row: Any) -> CommunityRecord:
    m = row._mapping
    return CommunityRecord(m["id"], m["key"], m["name"], json.loads(m["settings"] or "{}"))


def member_record(row: Any) -> MemberRecord:
    """A members-table row as a record (shared by every repository that reads members)."""
    m = row._mapping
    return MemberRecord(
        m["id"],
        m["community_id"],
        m["platform"],
        m["user_id"],
        m["display_name"],
        m["first_seen"],
        m["account_created"],
    )


class CommunityRepo:
    """Resolves a platform space to its community, creating both on first sight.

    Mappings never change once made, so they are cached per process; creation uses
    insert-or-ignore so two processes meeting the same space agree on one row.
    """

    def __init__(self, db: Database, audit: AuditRepo) -> None:
        self.db = db
        self.audit = audit
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._space_cache: dict[tuple[str, str], int] = {}
        self._records: dict[int, CommunityRecord] = {}

    async def find_space(self, platform: str, space_id: str) -> int | None:
        key = (platform, space_id)
        if key in self._space_cache:
            return self._space_cache[key]
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(community_spaces.c.community_id).where(
                    community_spaces.c.platform == platform, community_spaces.c.space_id == space_id
                )
            )
        if found is not None:
            self._space_cache[key] = found
        return found

    async def ensure(self, key: str, name: str) -> CommunityRecord:
        """The community with this key, created if new."""
        async with self.db.write() as conn:
            await conn.execute(
                self._insert(communities)
                .values(key=key, name=name, created_at=time.time(), settings="{}")
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = (await conn.execute(select(communities).where(communities.c.key == key))).one()
        return _community(row)

    async def map_space(self, platform: str, space_id: str, community_id: int) -> int:
        """Map a space to a community unless it is mapped already; returns the mapping."""
        async with self.db.write() as conn:
            await conn.execute(
                self._insert(community_spaces)
                .values(platform=platform, space_id=space_id, community_id=community_id)
                .on_conflict_do_nothing(index_elements=["platform", "space_id"])
            )
            mapped = await conn.scalar(
                select(community_spaces.c.community_id).where(
                    community_spaces.c.platform == platform, community_spaces.c.space_id == space_id
                )
            )
        assert mapped is not None
        self._space_cache[(platform, space_id)] = mapped
        return int(mapped)

    async def get(self, community_id: int, *, fresh: bool = False) -> CommunityRecord:
        """The community; cached per process (settings changes here refresh the cache)."""
        if not fresh and community_id in self._records:
            return self._records[community_id]
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(communities).where(communities.c.id == community_id))
            ).one()
        record = self._records[community_id] = _community(row)
        return record

    async def update_settings(
        self, community_id: int, settings: dict[str, Any], *, by: int, at: float
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(communities)
                .where(communities.c.id == community_id)
                .values(settings=dumps(settings))
            )
            self._records.pop(community_id, None)
            await self.audit.append(
                conn,
                [
                    NewEntry(
                        "community.settings",
                        f"community:{community_id}",
                        settings | {"by": by},
                        community_id,
                        at,
                    )
                ],
            )

    async def next_proposal_number(self, conn: AsyncConnection, community_id: int) -> int:
        """Allocate the next per-community proposal number atomically (inside a write)."""
        await conn.execute(
            update(communities)
            .where(communities.c.id == community_id)
            .values(next_proposal=communities.c.next_proposal + 1)
        )
        number = await conn.scalar(
            select(communities.c.next_proposal).where(communities.c.id == community_id)
        )
        if number is None:
            raise LookupError(f"community {community_id} does not exist")
        return int(number)


def _is_placeholder(record: MemberRecord, display_name: str) -> bool:
    """The stored name is only the platform id, and a real name is now known."""
    return record.display_name == record.user_id and display_name not in ("", record.user_id)


MemberKey = tuple[int, str, str]  # (community id, platform, user id)


@dataclass(frozen=True, slots=True)
class NewMember:
    key: MemberKey
    display_name: str
    first_seen: float
    account_created: float | None


class MemberRepo:
    """Members are platform accounts within a community, created on first sight.

    A burst of members the bot has never seen (200 new voters at once) must not cost a
    write transaction and a disk sync each, one after another: lookups of unknown
    members share one read and their creation shares one write (group commit), so the
    burst costs a couple of transactions in all.
    """

    def __init__(self, db: Database, *, max_batch: int = 1000) -> None:
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._cache: dict[MemberKey, MemberRecord] = {}
        self._loader: GroupCommitter[MemberKey, MemberRecord | None] = GroupCommitter(
            self._find_many, max_batch=max_batch
        )
        self._creator: GroupCommitter[NewMember, MemberRecord] = GroupCommitter(
            self._create_many, max_batch=max_batch
        )

    async def ensure(
        self,
        community_id: int,
        platform: str,
        user_id: str,
        display_name: str,
        *,
        account_created: float | None = None,
        now: float | None = None,
    ) -> MemberRecord:
        key = (community_id, platform, user_id)
        cached = self._cache.get(key)
        if cached is not None and not _is_placeholder(cached, display_name):
            return cached
        record = await self._loader.submit(key)
        if record is not None and _is_placeholder(record, display_name):
            # First seen only as a message author (name unknown, stored as the user id):
            # the real name arrived, so /rep <name> and cards can find them.
            async with self.db.write() as conn:
                await conn.execute(
                    update(members)
                    .where(members.c.id == record.id)
                    .values(display_name=display_name[:200])
                )
                record = member_record((await conn.execute(self._lookup(*key))).one())
        if record is None:
            first_seen = now if now is not None else time.time()
            record = await self._creator.submit(
                NewMember(key, display_name[:200], first_seen, account_created)
            )
        self._cache[key] = record
        return record

    async def _find_many(self, keys: list[MemberKey]) -> list[MemberRecord | None]:
        """One read for every member looked up meanwhile."""
        async with self.db.read() as conn:
            found = await self._select_many(conn, keys)
        return [found.get(key) for key in keys]

    @staticmethod
    async def _select_many(
        conn: AsyncConnection, keys: list[MemberKey]
    ) -> dict[MemberKey, MemberRecord]:
        """The members with these keys (one query per community and platform)."""
        found: dict[MemberKey, MemberRecord] = {}
        groups: dict[tuple[int, str], set[str]] = {}
        for community_id, platform, user_id in keys:
            groups.setdefault((community_id, platform), set()).add(user_id)
        for (community_id, platform), user_ids in groups.items():
            rows = await conn.execute(
                select(members).where(
                    members.c.community_id == community_id,
                    members.c.platform == platform,
                    members.c.user_id.in_(user_ids),
                )
            )
            for row in rows:
                record = member_record(row)
                found[(community_id, platform, record.user_id)] = record
        return found

    async def _create_many(self, new: list[NewMember]) -> list[MemberRecord]:
        """Insert every new member of the batch in one write; a member that appeared
        meanwhile (another process, the same member twice) is kept as it is."""
        rows: dict[MemberKey, dict[str, Any]] = {}
        for m in new:  # the same member twice in a batch: the first request wins
            rows.setdefault(
                m.key,
                {
                    "community_id": m.key[0],
                    "platform": m.key[1],
                    "user_id": m.key[2],
                    "display_name": m.display_name,
                    "first_seen": m.first_seen,
                    "account_created": m.account_created,
                },
            )
        async with self.db.write() as conn:
            inserted = await conn.execute(
                self._insert(members)
                .on_conflict_do_nothing(index_elements=["community_id", "platform", "user_id"])
                .returning(*members.c, sort_by_parameter_order=True),
                list(rows.values()),
            )
            found = {(r.community_id, r.platform, r.user_id): member_record(r) for r in inserted}
            if missing := [key for key in rows if key not in found]:  # created meanwhile
                found |= await self._select_many(conn, missing)
        return [found[m.key] for m in new]

    @staticmethod
    def _lookup(community_id: int, platform: str, user_id: str) -> Any:
        return select(members).where(
            members.c.community_id == community_id,
            members.c.platform == platform,
            members.c.user_id == user_id,
        )

    async def find(self, community_id: int, platform: str, user_id: str) -> MemberRecord | None:
        """The member if already known; never creates one (for refusals that write nothing)."""
        key = (community_id, platform, user_id)
        if key in self._cache:
            return self._cache[key]
        async with self.db.read() as conn:
            row = (await conn.execute(self._lookup(*key))).first()
        return member_record(row) if row else None

    async def get(self, member_id: int) -> MemberRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(members).where(members.c.id == member_id))).first()
        return member_record(row) if row else None

    async def names(self, member_ids: set[int]) -> dict[int, str]:
        if not member_ids:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(members.c.id, members.c.display_name).where(members.c.id.in_(member_ids))
            )
            return {row[0]: row[1] for row in rows}

    async def find_by_name(self, community_id: int, name: str) -> MemberRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(members)
                    .where(
                        members.c.community_id == community_id,
                        func.lower(members.c.display_name) == name.lower(),
                    )
                    .limit(1)
                )
            ).first()
        return member_record(row) if row else None

    async def count(self, community_id: int) -> int:
        async with self.db.read() as conn:
            total = await conn.scalar(
                select(func.count())
                .select_from(members)
                .where(members.c.community_id == community_id)
            )
        return int(total or 0)

    async def member_by_account(
        self, community_id: int, platform: str, user_id: str
    ) -> MemberRecord | None:
        """A member by platform account (indexed), before falling back to display names."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(members).where(
                        members.c.community_id == community_id,
                        members.c.platform == platform,
                        members.c.user_id == user_id,
                    )
                )
            ).first()
        return None if row is None else member_record(row)

    async def member_ages(self, community_id: int) -> list[tuple[int, float, float | None]]:
        """(member id, first seen, account created) for every member of a community."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(members.c.id, members.c.first_seen, members.c.account_created).where(
                    members.c.community_id == community_id
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def backdate_members(
        self, community_id: int, member_ids: Sequence[int] | None, seconds: float
    ) -> int:
        """Move members' first sighting back (the console's way to play old members); the
        caller marks reputation snapshots stale (`ContributionRepo.touch`)."""
        stmt = (
            update(members)
            .where(members.c.community_id == community_id)
            .values(first_seen=members.c.first_seen - seconds)
        )
        if member_ids is not None:
            stmt = stmt.where(members.c.id.in_(list(member_ids)))
        async with self.db.write() as conn:
            result = await conn.execute(stmt)
        return int(result.rowcount or 0)
