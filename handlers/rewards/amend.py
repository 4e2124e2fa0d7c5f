"""An epoch's allocation recomputed without the credits and battles disputes voided.

An upheld (final) epoch dispute amends a closed, not yet exported epoch: the inputs its
closing entry logged are kept — the same budget and carry-in, pools, cap, minimum,
payable wallets and settled holds, so the same total — and only what disputes voided
is taken out:

* contributors: reputation is recomputed as of the two snapshots the epoch was
  measured by (its opening and its closing snapshot's computation times) over the
  ledger as it stood then, leaving out every credit voided by a dispute up to the
  ruling; nothing given after the close counts. `immediate` pays
  earned_i = score_i(close) − score_i(open); `balanced` uses score_i(close) as the
  lifetime score;
* raters and models: when a battle this epoch counted was voided by a dispute, the
  epoch's ratings are gathered again without it; otherwise they stay as logged.

`allocate_epoch` then computes the amended result from the amended inputs alone, which
the `rewards.epoch.amended` audit entry logs (so `govbot audit verify` recomputes it).
The next epoch's carry-in is not changed: it was fixed when this epoch closed.
"""

from __future__ import annotations

from typing import Any

from handlers.core.deps import Deps
from handlers.rewards.allocation import allocate_epoch, payout_lines
from handlers.rewards.epochs import battle_inputs, service_of
from handlers.rewards.merkle import MerkleTree
from storage.repos.rewards import EpochRecord

# Inputs an amendment must leave as the closing logged them (verify checks it).
KEPT = (
    "community",
    "epoch",
    "starts_at",
    "closes_at",
    "token",
    "budget",
    "carry_in",
    "pools",
    "cap",
    "min",
    "hold_epochs",
    "payable",
    "released",
    "returned",
)


async def closing_payload(deps: Deps, epoch: EpochRecord) -> dict[str, Any]:
    entry = await deps.storage.audit.by_hash(epoch.result_hash or "")
    if entry is None or entry.kind != "rewards.epoch.closed":
        raise LookupError(f"epoch {epoch.number} has no closing entry in the audit log")
    return entry.payload


async def _scores_at(
    deps: Deps, epoch: EpochRecord, snapshot_id: int | None, voided: frozenset[int]
) -> dict[int, float]:
    if snapshot_id is None:
        return {}
    info = await deps.storage.reputation.get(snapshot_id)
    if info is None:
        return {}
    service = service_of(deps)
    community = await deps.storage.communities.get(epoch.community_id)
    return await service.scores_as_of(
        epoch.community_id, service.policy_for(community), info.computed_at, without=voided
    )


async def amended_inputs(deps: Deps, epoch: EpochRecord, voided: frozenset[int]) -> dict[str, Any]:
    """The closing inputs with what disputes voided left out."""
    closing = await closing_payload(deps, epoch)
    inputs: dict[str, Any] = dict(closing["inputs"])
    old = inputs["contributors"]
    after = await _scores_at(deps, epoch, old.get("close_snapshot"), voided)
    contributors: dict[str, Any]
    if old["policy"] == "balanced":
        contributors = {
            "policy": "balanced",
            "lifetime": {f"m:{m}": s for m, s in sorted(after.items()) if s > 0},
            "paid": old["paid"],
        }
    else:
        before = await _scores_at(deps, epoch, old.get("start_snapshot"), voided)
        earned = {m: s - before.get(m, 0.0) for m, s in after.items()}
        contributors = {
            "policy": "immediate",
            "earned": {f"m:{m}": g for m, g in sorted(earned.items()) if g > 1e-9},
        }
    contributors |= {
        "start_snapshot": old.get("start_snapshot"),
        "close_snapshot": old.get("close_snapshot"),
        "voided_credits": sorted(voided),
    }
    inputs["contributors"] = contributors
    revealed = await _battles(deps, epoch, inputs, ("revealed",))
    voided_battles = await _battles(deps, epoch, inputs, ("voided",))
    if voided_battles:
        community = await deps.storage.communities.get(epoch.community_id)
        raters, models = await battle_inputs(deps, community, revealed)
        inputs["raters"] = raters
        inputs["models"] = models | {"voided_battles": sorted(voided_battles)}
    return inputs


async def _battles(
    deps: Deps, epoch: EpochRecord, inputs: dict[str, Any], statuses: tuple[str, ...]
) -> set[int]:
    """Battles revealed in the epoch's window (still on the board, or voided since)."""
    last = await deps.storage.rewards.get(epoch.community_id, epoch.number - 1)
    after = last.closed_at if last and last.closed_at is not None else epoch.starts_at - 1e-6
    return await deps.storage.rewards.revealed_between(
        epoch.community_id, after, float(inputs["closes_at"]), statuses
    )


def amended_summary(
    before: dict[str, Any], inputs: dict[str, Any], dispute_ref: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the amended result, the epoch's summary with it) — holds settled stay as they were."""
    result = allocate_epoch(inputs)
    lines = payout_lines(result, inputs.get("released", []))
    summary = dict(before) | {
        "payable_total": result["payable_total"],
        "recipients": len(result["allocations"]),
        "paid_addresses": len(lines),
        "root": MerkleTree.of([(a, n) for a, n, _ in lines]).root if lines else None,
        "unallocated": result["unallocated"],
        "amended_by": dispute_ref,
        # what the amendment leaves unallocated is not carried: the next epoch's
        # carry-in was fixed when this one closed
        "amended_carry_out": result["carry_out"],
    }
    return result, summary
