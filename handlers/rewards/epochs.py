"""Epochs: when they open and close, what goes into an allocation, closing exactly once.

An epoch opens with a pinned reputation snapshot and closes with another (kept for
good, so the allocation's inputs stay checkable); what members earned is the growth
between the two, so decay and trust weigh it exactly as /rep does. Ratings count in
the epoch their battle was revealed in (once), weighted by the rater checks /raters
reports; models are rated by Bradley–Terry on the epoch's battles. Everything the
allocation reads is gathered into one `inputs` document, logged in the closing audit
entry, from which `allocation.allocate_epoch` computes the result (and `audit verify`
recomputes it).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_utils import to_checksum_address

from handlers.arena import bt
from handlers.arena.board import stored_rows
from handlers.arena.fair import counts_for_models, rater_checks, rating_weight, trusted
from handlers.communities.identity import voter_of
from handlers.core.deps import Deps
from handlers.core.types import Where
from handlers.reputation.service import ReputationService
from handlers.rewards.allocation import allocate_epoch, payout_lines
from handlers.rewards.merkle import MerkleTree
from handlers.rewards.policy import ADDRESS, RewardsPolicy
from storage.records import CommunityRecord
from storage.repos.rewards import Closing, EpochRecord, HeldRow, NewEpoch

log = logging.getLogger(__name__)


# ----- the schedule ----------------------------------------------------------------------
def epoch_end(schedule: str, start: float) -> float | None:
    """Weekly epochs end at the next Monday 00:00 UTC, monthly ones on the 1st; manual: never."""
    if schedule == "manual":
        return None
    at = datetime.fromtimestamp(start, UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == "weekly":
        end = midnight + timedelta(days=7 - midnight.weekday())
    else:
        year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
        end = midnight.replace(year=year, month=month, day=1)
    return end.timestamp()


def next_start(schedule: str, previous_end: float | None, now: float) -> float:
    """The next epoch starts where the last ended, skipping periods that passed while down."""
    if previous_end is None:
        return now
    start = previous_end
    while (end := epoch_end(schedule, start)) is not None and end <= now:
        start = end
    return start


def place_of(where: Where) -> dict[str, Any]:
    return {
        "platform": where.platform,
        "space_id": where.space_id,
        "channel_id": where.channel_id,
        "thread_id": where.thread_id,
    }


def where_of(place: dict[str, Any]) -> Where:
    return Where(place["platform"], place["space_id"], place["channel_id"], place.get("thread_id"))


# ----- opening ---------------------------------------------------------------------------
def service_of(deps: Deps) -> ReputationService:
    assert deps.reputation.service is not None, "Deps builds the reputation service"
    return deps.reputation.service


async def ensure_open(
    deps: Deps, community: CommunityRecord, *, place: Where | None = None
) -> EpochRecord:
    """The community's running epoch; the first opens now, with a pinned snapshot."""
    repo = deps.storage.rewards
    epoch = await repo.current(community.id)
    if epoch is None:
        policy = deps.rewards.policy
        now = deps.clock.now()
        last = await repo.latest_closed(community.id)
        start = next_start(policy.schedule, last.ends_at if last else None, now)
        snapshot = await service_of(deps).pinned(community)
        epoch = await repo.open(
            NewEpoch(
                community.id,
                policy.schedule,
                start,
                epoch_end(policy.schedule, start),
                snapshot.id if snapshot else None,
                place_of(place) if place and not place.is_private else None,
            ),
            at=now,
        )
    if epoch.place is None and place is not None and not place.is_private:
        await repo.set_place(epoch.id, place_of(place))
    return epoch


# ----- gathering the inputs --------------------------------------------------------------
@dataclass
class Gathered:
    """An epoch's allocation inputs (without the holds it settles) and display helpers."""

    inputs: dict[str, Any]
    close_snapshot: int | None
    names: dict[str, str]  # recipient key → who (member name or address)


async def _scores(deps: Deps, snapshot_id: int | None) -> dict[int, float]:
    if snapshot_id is None:
        return {}
    info = await deps.storage.reputation.get(snapshot_id)
    if info is None:
        return {}
    rows = await deps.storage.reputation.top(snapshot_id, max(info.members, 1))
    return {r.member_id: r.score for r in rows}


async def _owner_key(deps: Deps, community: CommunityRecord, owner: str) -> str | None:
    """A model owner's recipient key: "a:<address>" or the member's "m:<voter id>"."""
    text = owner.strip()
    if ADDRESS.fullmatch(text):
        return f"a:{to_checksum_address(text)}"
    members = deps.storage.members
    platform, _, user = text.partition(":")
    found = await members.find(community.id, platform, user) if user else None
    found = found or await members.find_by_name(community.id, text.lstrip("@"))
    if found is None:
        return None
    return f"m:{(await voter_of(deps, found)).id}"


async def battle_inputs(
    deps: Deps, community: CommunityRecord, revealed: set[int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The raters' and models' inputs from the ratings of the battles `revealed`."""
    storage = deps.storage
    policy: RewardsPolicy = deps.rewards.policy
    rows, rated = await stored_rows(storage, community.id)
    checks = rater_checks(rated, deps.arena.policy)
    canonical = await storage.identity.canonical_map(community.id)
    weights: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    epoch_rows = []
    for row, rating in zip(rows, rated, strict=True):
        if rating.battle_id not in revealed or not trusted(rating, deps.arena.policy):
            continue  # leaked battles and too-fast ratings earn nothing
        if counts_for_models(rating, deps.arena.policy):
            epoch_rows.append(row)  # gold battles rate raters, not models
        key = f"m:{canonical.get(rating.member_id, rating.member_id)}"
        weights[key] += rating_weight(checks, rating.member_id)
        counts[key] += 1
    stats: dict[str, dict[str, Any]] = {}
    if epoch_rows:
        counts_bt = bt.collapse(
            (r.model_a for r in epoch_rows),
            (r.model_b for r in epoch_rows),
            (r.winner for r in epoch_rows),
        )
        for s in bt.leaderboard(counts_bt, rounds=0, min_battles=0):
            owner_named = deps.rewards.model_owners.get(s.model, "")
            owner = await _owner_key(deps, community, owner_named) if owner_named else None
            stats[s.model] = {
                "owner": owner,
                "owner_named": owner_named,
                "battles": s.battles,
                "score": s.win_rate * s.battles,
                "rating": s.rating,
            }
    raters = {"weights": dict(sorted(weights.items())), "ratings": dict(sorted(counts.items()))}
    models = {
        "split": policy.model_split,
        "min_battles": deps.arena.policy.min_battles,
        "stats": dict(sorted(stats.items())),
    }
    return raters, models


async def gather(
    deps: Deps, community: CommunityRecord, epoch: EpochRecord, *, closing: bool
) -> Gathered:
    """Everything the allocation reads, as of now (closing: with a snapshot pinned)."""
    policy: RewardsPolicy = deps.rewards.policy
    storage = deps.storage
    service = service_of(deps)
    now = deps.clock.now()
    rep_policy = service.policy_for(community)
    if closing:
        close_info = await service.pinned(community)
    else:
        close_info = await service.current(community.id, rep_policy)
    close_id = close_info.id if close_info else None
    after = await _scores(deps, close_id)
    before = await _scores(deps, epoch.start_snapshot)
    contributors: dict[str, Any]
    if policy.contributor_policy == "balanced":
        contributors = {
            "policy": "balanced",
            "lifetime": {f"m:{m}": s for m, s in sorted(after.items()) if s > 0},
            "paid": {
                k: str(v)
                for k, v in sorted(
                    (await storage.rewards.paid_by_pool(community.id, "contributors")).items()
                )
            },
        }
    else:
        earned = {m: s - before.get(m, 0.0) for m, s in after.items()}
        contributors = {
            "policy": "immediate",
            "earned": {f"m:{m}": g for m, g in sorted(earned.items()) if g > 1e-9},
        }
    contributors |= {"start_snapshot": epoch.start_snapshot, "close_snapshot": close_id}

    # ratings and battles revealed since the last close (each battle counts in one epoch)
    last = await storage.rewards.latest_closed(community.id)
    after_time = last.closed_at if last and last.closed_at is not None else epoch.starts_at - 1e-6
    revealed = await storage.rewards.revealed_between(community.id, after_time, now)
    raters, models = await battle_inputs(deps, community, revealed)
    stats: dict[str, dict[str, Any]] = models["stats"]
    canonical = await storage.identity.canonical_map(community.id)

    # who can be paid: members with a linked wallet, and owners named by address
    payable: dict[str, str] = {}
    for link in await storage.wallets.active_in_community(community.id):
        member = canonical.get(link.member_id, link.member_id)
        payable.setdefault(f"m:{member}", to_checksum_address(link.address))
    for model in stats.values():
        if model["owner"] and model["owner"].startswith("a:"):
            payable[model["owner"]] = model["owner"][2:]
    carry_in = (last.summary or {}).get("carry_out", "0") if last else "0"
    inputs = {
        "community": community.id,
        "epoch": epoch.number,
        "starts_at": epoch.starts_at,
        "closes_at": now,
        "token": {"address": policy.token, "symbol": policy.symbol, "decimals": policy.decimals},
        "budget": str(policy.budget_units),
        "carry_in": str(carry_in),
        "pools": {p: str(v) for p, v in policy.pools.items()},
        "cap": str(policy.cap_units),
        "min": str(policy.min_units),
        "hold_epochs": policy.hold_epochs,
        "contributors": contributors,
        "raters": raters,
        "models": models,
        "payable": dict(sorted(payable.items())),
    }
    keys = set(payable) | set(raters["weights"]) | {f"m:{m}" for m in after}
    keys |= {m["owner"] for m in stats.values() if m["owner"]}
    return Gathered(inputs, close_id, await names_of(deps, keys))


async def names_of(deps: Deps, keys: set[str]) -> dict[str, str]:
    ids = {int(k[2:]) for k in keys if k.startswith("m:")}
    found = await deps.storage.members.names(ids)
    names = {f"m:{i}": name for i, name in found.items()}
    names.update({k: k[2:] for k in keys if k.startswith("a:")})
    return names


def settle_holds(
    inputs: dict[str, Any], epoch: EpochRecord, held: list[HeldRow]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Holds paid now (the member has linked a wallet) and holds returned (expired)."""
    released, returned = [], []
    for hold in held:
        address = inputs["payable"].get(hold.recipient)
        entry = {"epoch": hold.epoch_id, "key": hold.recipient, "amount": str(hold.amount)}
        if address:
            released.append(entry | {"address": address})
        elif epoch.number - hold.epoch_number >= int(inputs["hold_epochs"]):
            returned.append(entry)
    return released, returned


def decide(inputs: dict[str, Any], epoch: EpochRecord, held: list[HeldRow]) -> Closing:
    """The closing: holds settled, the allocation computed, the summary for the card."""
    released, returned = settle_holds(inputs, epoch, held)
    full = inputs | {"released": released, "returned": returned}
    result = allocate_epoch(full)
    lines = payout_lines(result, released)
    summary = {
        "total": result["total"],
        "pools": result["pools"],
        "unallocated": result["unallocated"],
        "carry_out": result["carry_out"],
        "payable_total": result["payable_total"],
        "recipients": len(result["allocations"]),
        "paid_addresses": len(lines),
        "released": sum(int(h["amount"]) for h in released),
        "returned": sum(int(h["amount"]) for h in returned),
        "root": MerkleTree.of([(a, n) for a, n, _ in lines]).root if lines else None,
    }
    return Closing(full, result, released, returned, summary)


async def close_epoch(
    deps: Deps, epoch: EpochRecord, *, by: int | None
) -> tuple[EpochRecord, EpochRecord | None] | None:
    """Close now, exactly once across processes; None when someone closed it first."""
    community = await deps.storage.communities.get(epoch.community_id)
    gathered = await gather(deps, community, epoch, closing=True)
    policy = deps.rewards.policy
    now = deps.clock.now()
    end: float | None
    if epoch.ends_at is not None and now < epoch.ends_at:
        # closed early by hand: the next epoch runs from now to the end of this period
        start, end = now, epoch.ends_at
    else:
        start = next_start(policy.schedule, epoch.ends_at, now)
        end = epoch_end(policy.schedule, start)
    reopen = NewEpoch(
        community.id, policy.schedule, start, end, gathered.close_snapshot, epoch.place
    )
    done = await deps.storage.rewards.close(
        epoch.id,
        lambda locked, held: decide(gathered.inputs, locked, held),
        at=now,
        by=by,
        close_snapshot=gathered.close_snapshot,
        reopen=reopen if policy.enabled else None,
    )
    if done is not None:
        closed = done[0]
        log.info(
            "rewards epoch closed community=%s number=%s total=%s payable=%s",
            closed.community_id,
            closed.number,
            (closed.summary or {}).get("total"),
            (closed.summary or {}).get("payable_total"),
        )
    return done


def projection(gathered: Gathered, epoch: EpochRecord, held: list[HeldRow]) -> Closing:
    """What closing now would allocate (for /epoch)."""
    return decide(gathered.inputs, epoch, held)
