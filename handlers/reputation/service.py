"""Keeps reputation snapshots fresh and answers from them, so `/rep` never computes.

A snapshot is stale when the ledger changed since it was computed (the community's
ledger version moved) or when it is older than `snapshot_max_age_seconds` (decay and
members' ages move scores with time alone). The background task in bot/app.py calls
`refresh_stale` on an interval; a read of a stale snapshot recomputes inline only while
the ledger is small (`inline_recompute_max_events`), otherwise it answers from the
latest snapshot. The numeric work runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from collections.abc import Awaitable, Callable
from functools import partial

import numpy as np
from numpy.typing import NDArray

from handlers.core.ports import Clock
from handlers.core.types import Actor
from handlers.reputation.policy import ReputationPolicy, effective_policy
from handlers.reputation.score import DAY, Ledger, Params, Scores, compute
from storage import Storage
from storage.records import CommunityRecord, MemberRecord
from storage.repos.contributions import LedgerColumns, Recorded, Request
from storage.repos.reputation import SnapshotInfo, SnapshotRow

log = logging.getLogger(__name__)

SNAPSHOT_REF = re.compile(r"rep:(\d+)")
# A recompute lease lapses after this long, so a process that died holding it blocks the
# others at most this long (a recompute of a large ledger takes seconds, not minutes).
LEASE_SECONDS = 300.0


def snapshot_ref(snapshot_id: int) -> str:
    return f"rep:{snapshot_id}"


def parse_snapshot_ref(text: str | None) -> int | None:
    """The reputation snapshot id in a proposal's snapshot text (also inside a hybrid's)."""
    found = SNAPSHOT_REF.search(text or "")
    return int(found.group(1)) if found else None


def snapshot_rows(scores: Scores) -> list[SnapshotRow]:
    from handlers.reputation.policy import KINDS

    rows = []
    for i, member_id in enumerate(scores.ids.tolist()):
        parts = {KINDS[k]: float(v) for k, v in enumerate(scores.parts[i].tolist()) if v}
        rows.append(
            SnapshotRow(
                member_id=member_id,
                score=float(scores.score[i]),
                trust=float(scores.trust[i]),
                rank=int(scores.rank[i]),
                change_30d=float(scores.change_30d[i]),
                parts=parts,
                sources=scores.sources_of(i),
            )
        )
    return rows


class ReputationService:
    """Ledger writes with seed marks, and snapshot upkeep, for every community."""

    def __init__(self, storage: Storage, policy: ReputationPolicy, clock: Clock) -> None:
        self.storage = storage
        self.policy = policy
        self.clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        self._marked: set[tuple[int, str]] = set()
        self.recomputes = 0
        # told after every recompute (the composition root publishes an event from it)
        self.on_recomputed: Callable[[int], Awaitable[None]] | None = None
        # who holds a recompute lease: unique per service (≈ per process) on any host
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def policy_for(self, community: CommunityRecord) -> ReputationPolicy:
        return effective_policy(self.policy, community.settings)

    async def record(self, request: Request) -> Recorded:
        return await self.storage.contributions.record(request)

    async def note_actor(
        self, member: MemberRecord, actor: Actor, policy: ReputationPolicy
    ) -> None:
        """Remember admins and members with a seed role as trusted seeds (once per process)."""
        reasons = ["admin"] if actor.is_admin else []
        reasons += [f"role:{role}" for role in actor.roles if role in policy.seed_roles]
        for reason in reasons:
            if (member.id, reason) in self._marked:
                continue
            await self.storage.contributions.mark_seed(
                member.community_id, member.id, reason, self.clock.now()
            )
            self._marked.add((member.id, reason))

    async def seed_ids(self, community_id: int, policy: ReputationPolicy, now: float) -> list[int]:
        """The seeds the community marked: admins and members with a seed role.

        Other members earn seed status from the ledger (trusted members credited them
        over time), which the score computes; age alone never makes a seed.
        """
        return sorted(await self.storage.contributions.seeds(community_id))

    async def eligible_ids(
        self, community_id: int, policy: ReputationPolicy, now: float
    ) -> list[int] | None:
        """Members old enough to earn seed status (None: everyone, no age rule)."""
        if policy.seed_member_age_days <= 0:
            return None
        old_enough = now - policy.seed_member_age_days * DAY
        ages = await self.storage.members.member_ages(community_id)
        return sorted(m for m, first_seen, _ in ages if first_seen <= old_enough)

    # ----- snapshots ---------------------------------------------------------------------
    def _stale(self, snap: SnapshotInfo | None, version: int, policy: ReputationPolicy) -> bool:
        if snap is None:
            return True
        if snap.ledger_version < version:
            return True
        return self.clock.now() - snap.computed_at > policy.snapshot_max_age_seconds

    async def _ledger(
        self,
        community_id: int,
        columns: LedgerColumns,
        seed_list: list[int],
        eligible_list: list[int] | None,
    ) -> tuple[Ledger, NDArray[np.int64], NDArray[np.int64] | None]:
        """The score's inputs from ledger columns, one person per linked wallet."""
        giver, receiver = columns.giver, columns.receiver
        kind, weight, at = columns.kind, columns.weight, columns.at
        # One person across platforms (issue 8): accounts linked to one wallet score as
        # one member (the lowest id); credit between one person's accounts is dropped.
        canonical = await self.storage.identity.canonical_map(community_id)
        if canonical:
            giver = [None if g is None else canonical.get(g, g) for g in giver]
            receiver = [canonical.get(r, r) for r in receiver]
            keep = [i for i in range(len(receiver)) if giver[i] != receiver[i]]
            giver, receiver = [giver[i] for i in keep], [receiver[i] for i in keep]
            kind = [kind[i] for i in keep]
            weight, at = [weight[i] for i in keep], [at[i] for i in keep]
            seed_list = sorted({canonical.get(s, s) for s in seed_list})
            if eligible_list is not None:
                eligible_list = sorted({canonical.get(e, e) for e in eligible_list})
        seeds = np.asarray(seed_list, dtype=np.int64)
        eligible = None if eligible_list is None else np.asarray(eligible_list, dtype=np.int64)
        return Ledger.from_columns(giver, receiver, kind, weight, at), seeds, eligible

    async def scores_as_of(
        self,
        community_id: int,
        policy: ReputationPolicy,
        at: float,
        *,
        without: frozenset[int] = frozenset(),
    ) -> dict[int, float]:
        """Every member's score as it stood at `at`, computed without the credits `without`.

        The ledger as of `at` (credits given by then, retractions made by then), the
        seeds marked by then and the member ages at `at` — so a past allocation can be
        recomputed with some credits left out, and nothing earned later counts. With
        `at` = now and nothing left out it equals `recompute`'s scores.
        """
        columns = await self.storage.contributions.load_as_of(community_id, at, without)
        seed_list = await self.storage.contributions.seeds_as_of(community_id, at)
        eligible_list = await self.eligible_ids(community_id, policy, at)
        ledger, seeds, eligible = await self._ledger(
            community_id, columns, seed_list, eligible_list
        )
        if len(ledger) == 0:
            return {}
        scores = await asyncio.to_thread(
            partial(compute, eligible_ids=eligible), ledger, seeds, at, Params.of(policy)
        )
        return dict(zip(scores.ids.tolist(), scores.score.tolist(), strict=True))

    async def recompute(self, community_id: int, policy: ReputationPolicy) -> SnapshotInfo:
        """Compute and store a snapshot from the whole ledger now."""
        now = self.clock.now()
        version = await self.storage.contributions.version(community_id)
        columns = await self.storage.contributions.load(community_id)
        seed_list = await self.seed_ids(community_id, policy, now)
        eligible_list = await self.eligible_ids(community_id, policy, now)
        ledger, seeds, eligible = await self._ledger(
            community_id, columns, seed_list, eligible_list
        )
        scores = await asyncio.to_thread(
            partial(compute, eligible_ids=eligible), ledger, seeds, now, Params.of(policy)
        )
        rows = await asyncio.to_thread(snapshot_rows, scores)
        info = await self.storage.reputation.save(
            community_id, computed_at=now, ledger_version=version, events=len(ledger), rows=rows
        )
        self.recomputes += 1
        if self.on_recomputed is not None:
            try:
                await self.on_recomputed(community_id)
            except Exception:
                log.exception("after-recompute hook failed community=%s", community_id)
        log.info(
            "reputation recomputed community=%s snapshot=%s events=%s members=%s",
            community_id,
            info.id,
            info.events,
            info.members,
        )
        return info

    async def current(
        self, community_id: int, policy: ReputationPolicy, *, force_fresh: bool = False
    ) -> SnapshotInfo | None:
        """The snapshot to answer from: fresh if it is cheap (or forced), else the latest."""
        latest, version = await self.storage.reputation.latest_and_version(community_id)
        if not self._stale(latest, version, policy):
            return latest
        small = latest is None or latest.events <= policy.inline_recompute_max_events
        if not (force_fresh or small):
            return latest
        async with self._locks.setdefault(community_id, asyncio.Lock()):
            latest = await self.storage.reputation.latest(community_id)
            version = await self.storage.contributions.version(community_id)
            if not self._stale(latest, version, policy):
                return latest
            if latest is None and version == 0:
                return None  # nothing logged yet
            return await self.recompute(community_id, policy)

    async def pinned(self, community: CommunityRecord) -> SnapshotInfo | None:
        """A fresh snapshot kept for good: a proposal's reputation weights are read from it."""
        info = await self.current(community.id, self.policy_for(community), force_fresh=True)
        if info is not None:
            await self.storage.reputation.pin(info.id)
        return info

    async def refresh_stale(self) -> int:
        """Recompute every community whose snapshot is stale (the background task)."""
        done = 0
        for community_id in await self.storage.contributions.communities():
            community = await self.storage.communities.get(community_id)
            policy = self.policy_for(community)
            latest = await self.storage.reputation.latest(community_id)
            version = await self.storage.contributions.version(community_id)
            if not self._stale(latest, version, policy):
                continue
            async with self._locks.setdefault(community_id, asyncio.Lock()):
                if await self._recompute_once(community_id, policy):
                    done += 1
        return done

    async def _recompute_once(self, community_id: int, policy: ReputationPolicy) -> bool:
        """Recompute under a lease, so of several processes on one database only one does.

        Without it every process's background task finds the same stale snapshot on the
        same tick and recomputes it, multiplying the CPU work by the process count.
        Staleness is checked again under the lease: another process may have just
        finished. A holder that dies frees the lease when it lapses.
        """
        name = f"reputation:{community_id}"
        leases = self.storage.leases
        if not await leases.acquire(name, self.holder, now=self.clock.now(), ttl=LEASE_SECONDS):
            return False
        try:
            latest = await self.storage.reputation.latest(community_id)
            version = await self.storage.contributions.version(community_id)
            if not self._stale(latest, version, policy):
                return False
            await self.recompute(community_id, policy)
            return True
        finally:
            await leases.release(name, self.holder)
