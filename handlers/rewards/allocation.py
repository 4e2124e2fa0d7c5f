"""An epoch's allocation: exact integers that add up to the budget, from logged inputs.

Pure and deterministic, so `govbot audit verify` recomputes every closed epoch from the
inputs its closing entry logged and finds any amount that differs.

The steps (README, "How an epoch is allocated", has the formulas):

1. The epoch's total T = budget + carry-in is split over the pools by their
   percentages, largest remainder (Hare–Niemeyer): the pool amounts add up to T.
2. Each pool has weights per recipient (`weights_of`): contributors their reputation
   earned this epoch (SourceCred's `immediate`) or their lifetime underpayment
   (`balanced`), raters the quality-weighted count of their ratings, model owners their
   models' Bradley–Terry strength. Floats are turned into integers exactly (every float
   is a dyadic rational), so no rounding happens before the last step.
3. A recipient's share is Σ_p P_p · w_ip / W_p. The per-member cap C and the minimum
   payout M are applied by water-filling: recipients whose share would exceed C get C
   and the rest is shared again in proportion; the smallest recipients are dropped
   one at a time, while the smallest remaining share is below M, and their share goes
   to the others. What nobody can take (a pool without recipients, everyone capped)
   is carried into the next epoch.
4. The shares are rounded by largest remainder: floors, then one more unit to the
   largest fractional parts (ties: recipient key), so they add up exactly, never more,
   and a cap or minimum that held before rounding still holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

POOL_ORDER = ("contributors", "raters", "models")


# ----- exact arithmetic ------------------------------------------------------------------
def largest_remainder(total: int, weights: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split `total` in proportion to integer weights; the parts add up to `total` exactly.

    Ties for the last units go to the earlier key in sorted order.
    """
    positive = [(k, w) for k, w in weights if w > 0]
    whole = sum(w for _, w in positive)
    if whole == 0 or total <= 0:
        return {k: 0 for k, _ in weights}
    parts: dict[str, int] = {}
    rest: list[tuple[int, str]] = []
    for key, w in positive:
        q, r = divmod(total * w, whole)
        parts[key] = q
        rest.append((r, key))
    left = total - sum(parts.values())
    rest.sort(key=lambda item: (-item[0], item[1]))
    for _, key in rest[:left]:
        parts[key] += 1
    return {k: parts.get(k, 0) for k, _ in weights}


def exact_integers(weights: Mapping[str, float]) -> dict[str, int]:
    """Positive finite floats as integers in the same exact proportions (others dropped)."""
    ratios = {
        k: float(w).as_integer_ratio() for k, w in weights.items() if math.isfinite(w) and w > 0
    }
    if not ratios:
        return {}
    scale = max(den for _, den in ratios.values())  # denominators are powers of two
    return {k: num * (scale // den) for k, (num, den) in ratios.items()}


def fraction_weights(shares: Mapping[str, Fraction]) -> list[tuple[str, int]]:
    """Fractions as integer weights over their common denominator."""
    den = math.lcm(*(s.denominator for s in shares.values())) if shares else 1
    return [(k, int(s * den)) for k, s in shares.items()]


# ----- pool weights ----------------------------------------------------------------------
def balanced_needs(
    budget: int, lifetime: Mapping[str, float], paid: Mapping[str, int]
) -> dict[str, float]:
    """SourceCred's `balanced` policy: pay who is most underpaid for their lifetime score.

    target_i = (Σ paid + budget) · score_i / Σ score; need_i = max(0, target_i − paid_i);
    the pool is then split in proportion to the needs.
    """
    total_score = math.fsum(v for v in lifetime.values() if v > 0)
    if total_score <= 0:
        return {}
    per_score = (sum(paid.values()) + budget) / total_score
    needs = {}
    for key, score in lifetime.items():
        need = per_score * max(score, 0.0) - paid.get(key, 0)
        if need > 0:
            needs[key] = need
    return needs


def model_weights(
    models: Mapping[str, Mapping[str, Any]], split: str, min_battles: int
) -> dict[str, float]:
    """Per owner: the share of wins, or softmax of ratings, of their eligible models.

    Eligible: an owner is named and the model has at least `min_battles` battles this
    epoch. Softmax on the Elo scale: 10^(rating/400), the Bradley–Terry strength.
    """
    eligible = {
        name: m for name, m in models.items() if m.get("owner") and m["battles"] >= min_battles
    }
    if not eligible:
        return {}
    top = max(float(m["rating"]) for m in eligible.values())
    weights: dict[str, float] = {}
    for name in sorted(eligible):
        m = eligible[name]
        if split == "softmax":
            w = 10.0 ** ((float(m["rating"]) - top) / 400.0)
        else:
            w = float(m["score"])
        weights[m["owner"]] = weights.get(m["owner"], 0.0) + w
    return weights


def weights_of(inputs: Mapping[str, Any], pool: str, pool_amount: int) -> dict[str, float]:
    """A pool's weights per recipient, from what the closing entry logged."""
    if pool == "contributors":
        c = inputs["contributors"]
        if c["policy"] == "balanced":
            paid = {k: int(v) for k, v in c["paid"].items()}
            return balanced_needs(pool_amount, c["lifetime"], paid)
        return {k: float(v) for k, v in c["earned"].items()}
    if pool == "raters":
        return {k: float(v) for k, v in inputs["raters"]["weights"].items()}
    m = inputs["models"]
    return model_weights(m["stats"], m["split"], int(m["min_battles"]))


# ----- cap and minimum -------------------------------------------------------------------
@dataclass(frozen=True)
class Filled:
    """Who is paid what, before rounding: capped members get `cap`, the others share R."""

    dropped: int  # the `dropped` smallest recipients (in ascending order) get nothing
    capped: int  # the `capped` largest get the cap
    rest: int  # R: what the uncapped active recipients share in proportion
    rest_weight: int  # their total weight


def _fill(
    order: list[int], v: list[int], suffix: list[int], d: int, total: int, cap: int
) -> Filled:
    rest, weight, capped = total, suffix[d], 0
    if cap > 0:
        for idx in range(len(order) - 1, d - 1, -1):
            i = order[idx]
            if v[i] * rest > cap * weight:
                rest -= cap
                weight -= v[i]
                capped += 1
            else:
                break
    return Filled(d, capped, rest, weight)


def cap_and_floor(
    v: list[int], keys: list[str], total: int, cap: int, floor: int
) -> tuple[list[int], Filled]:
    """Water-fill `total` over weights `v` under the cap and minimum; returns the order."""
    n = len(v)
    order = sorted(range(n), key=lambda i: (v[i], keys[i]))
    suffix = [0] * (n + 1)
    for idx in range(n - 1, -1, -1):
        suffix[idx] = suffix[idx + 1] + v[order[idx]]

    def ok(d: int) -> bool:
        if d >= n or floor <= 0:
            return True
        filled = _fill(order, v, suffix, d, total, cap)
        if filled.capped == n - d:  # everyone left is capped
            return cap >= floor
        return v[order[d]] * filled.rest >= floor * filled.rest_weight

    lo, hi = 0, n  # the fewest dropped that leaves everyone at or above the minimum
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return order, _fill(order, v, suffix, lo, total, cap)


# ----- the epoch -------------------------------------------------------------------------
def allocate(
    total: int,
    pool_amounts: Mapping[str, int],
    pool_weights: Mapping[str, Mapping[str, float]],
    *,
    cap: int = 0,
    floor: int = 0,
) -> tuple[dict[str, int], dict[str, dict[str, int]], int, list[str], list[str]]:
    """(amount per recipient, parts per pool, unallocated, capped keys, dropped keys)."""
    exact = {p: exact_integers(pool_weights.get(p, {})) for p in pool_amounts}
    live = [p for p in pool_amounts if pool_amounts[p] > 0 and exact[p]]
    unallocated = total - sum(pool_amounts[p] for p in live)
    if not live:
        return {}, {}, total, [], []
    sums = {p: sum(exact[p].values()) for p in live}
    common = math.prod(sums.values())
    contrib: dict[str, dict[str, int]] = {}
    for p in live:
        factor = pool_amounts[p] * (common // sums[p])
        for key, u in exact[p].items():
            contrib.setdefault(key, {})[p] = u * factor
    keys = sorted(contrib)
    v = [sum(contrib[k].values()) for k in keys]
    target = sum(pool_amounts[p] for p in live)
    order, filled = cap_and_floor(v, keys, target, cap, floor)
    n = len(keys)
    amounts: dict[str, int] = {}
    capped = [keys[order[idx]] for idx in range(n - filled.capped, n)]
    for key in capped:
        amounts[key] = cap
    uncapped = [order[idx] for idx in range(filled.dropped, n - filled.capped)]
    if uncapped and filled.rest_weight > 0:
        shares = largest_remainder(filled.rest, [(keys[i], v[i]) for i in uncapped])
        amounts.update(shares)
        unallocated += target - filled.rest - cap * filled.capped
        unallocated += filled.rest - sum(shares.values())
    else:
        unallocated += target - cap * filled.capped
    dropped = [keys[order[idx]] for idx in range(filled.dropped)]
    parts: dict[str, dict[str, int]] = {}
    for key, amount in amounts.items():
        pools = contrib[key]
        if len(pools) == 1:
            parts[key] = {next(iter(pools)): amount}
        else:
            ordered = [(p, pools[p]) for p in POOL_ORDER if p in pools]
            parts[key] = largest_remainder(amount, ordered)
    amounts = {k: a for k, a in amounts.items() if a > 0}
    return amounts, parts, unallocated, sorted(capped), sorted(dropped)


def pool_split(total: int, pools: Mapping[str, Any]) -> dict[str, int]:
    shares = {p: Fraction(Decimal(str(pools[p]))) for p in POOL_ORDER if p in pools}
    return largest_remainder(total, fraction_weights(shares))


def allocate_epoch(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The closing result from the closing entry's inputs (what `audit verify` recomputes).

    Recipients with a payout address are paid; others are held (for `hold_epochs`) or,
    with no hold, returned to the next epoch. Released holds of earlier epochs are paid
    now; expired ones are returned.
    """
    total = int(inputs["budget"]) + int(inputs["carry_in"])
    pool_amounts = pool_split(total, inputs["pools"])
    pool_weights = {p: weights_of(inputs, p, pool_amounts[p]) for p in pool_amounts}
    amounts, parts, unallocated, capped, dropped = allocate(
        total, pool_amounts, pool_weights, cap=int(inputs["cap"]), floor=int(inputs["min"])
    )
    payable: Mapping[str, str] = inputs["payable"]
    holding = int(inputs["hold_epochs"]) > 0
    rows: dict[str, dict[str, Any]] = {}
    returned_now = 0
    for key in sorted(amounts):
        address = payable.get(key)
        status = "paid" if address else ("held" if holding else "returned")
        if status == "returned":
            returned_now += amounts[key]
        rows[key] = {
            "amount": str(amounts[key]),
            "parts": {p: str(a) for p, a in parts[key].items() if a},
            "status": status,
            "address": address,
        }
    expired = sum(int(h["amount"]) for h in inputs.get("returned", []))
    released = sum(int(h["amount"]) for h in inputs.get("released", []))
    paid = sum(int(r["amount"]) for r in rows.values() if r["status"] == "paid")
    return {
        "total": str(total),
        "pools": {p: str(a) for p, a in pool_amounts.items()},
        "allocations": rows,
        "capped": capped,
        "dropped": dropped,
        "unallocated": str(unallocated),
        "carry_out": str(unallocated + returned_now + expired),
        "payable_total": str(paid + released),
    }


def payout_lines(
    result: Mapping[str, Any], released: Iterable[Mapping[str, Any]]
) -> list[tuple[str, int, list[str]]]:
    """(address, amount, recipient keys), one line per address, by address: this epoch's
    paid rows plus the holds released into it (addresses are EIP-55 checksummed)."""
    by_address: dict[str, tuple[int, list[str]]] = {}
    rows = [
        (k, r["address"], r["amount"])
        for k, r in result["allocations"].items()
        if r["status"] == "paid"
    ]
    rows += [(h["key"], h["address"], h["amount"]) for h in released]
    for key, address, amount in rows:
        before, keys = by_address.get(address, (0, []))
        by_address[address] = (before + int(amount), [*keys, key])
    return [(a, amount, sorted(set(keys))) for a, (amount, keys) in sorted(by_address.items())]
