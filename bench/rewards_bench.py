"""Rewards: an epoch's allocation for 50,000 members and 1,000,000 credits, and the
Merkle tree of 50,000 payouts beside @openzeppelin/merkle-tree (node) on the same leaves.

Allocation: 1,000,000 credits to 50,000 members (Zipf-like receivers, decayed weights)
are summed per member twice — at the epoch's start and at its close — as the score
growth the contributors' pool pays; 20,000 raters and 12 owned models fill the other
pools; `allocate_epoch` then splits an 18-decimal budget exactly with a per-member cap
and a minimum payout, and the payout lines are grouped by address. Anchor: the same
weights split with numpy floats (floor, then largest remainder by argsort) — fast, but
inexact at 18 decimals, which is why the allocation is done in integers.
"""

from __future__ import annotations

import time

import numpy as np
from eth_account import Account

from bench.common import Row
from handlers.rewards.allocation import allocate_epoch, payout_lines
from handlers.rewards.merkle import MerkleTree

MEMBERS = 50_000
CREDITS = 1_000_000
LEAVES = 50_000
UNIT = 10**18


def _inputs(rng: np.random.Generator) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    receiver = rng.permutation(MEMBERS)[np.minimum(rng.zipf(1.2, CREDITS), MEMBERS) - 1]
    receiver[:MEMBERS] = np.arange(MEMBERS)  # everyone earned something
    weight = rng.uniform(0.25, 3.0, CREDITS)
    at = rng.uniform(0, 14, CREDITS)  # days; the epoch is the last 7
    decay = np.exp2(-(14 - at) / 90)
    start = np.bincount(receiver[at < 7], weights=(weight * decay)[at < 7], minlength=MEMBERS)
    close = np.bincount(receiver, weights=weight * decay, minlength=MEMBERS)
    growth = close - start * np.exp2(-7 / 90)
    earned = {f"m:{i}": float(g) for i, g in enumerate(growth.tolist()) if g > 1e-9}
    raters = {
        f"m:{i}": float(w)
        for i, w in zip(range(0, 40_000, 2), rng.uniform(0.1, 30, 20_000), strict=True)
    }
    models = {
        f"model-{k}": {"owner": f"m:{k}", "battles": 500, "score": float(s), "rating": 1000.0}
        for k, s in enumerate(rng.uniform(50, 400, 12))
    }
    payable = {f"m:{i}": "0x" + f"{i:040x}" for i in range(0, MEMBERS, 1) if i % 10}
    inputs: dict[str, object] = {
        "budget": str(1_000_000 * UNIT),
        "carry_in": "0",
        "pools": {"contributors": "60", "raters": "15", "models": "25"},
        "cap": str(5_000 * UNIT),
        "min": str(UNIT // 10),
        "hold_epochs": 2,
        "contributors": {"policy": "immediate", "earned": earned},
        "raters": {"weights": raters, "ratings": {}},
        "models": {"split": "wins", "min_battles": 20, "stats": models},
        "payable": payable,
    }
    return inputs, time.perf_counter() - started


def _float_split(inputs: dict[str, object]) -> float:
    """The anchor: a float proportional split of the same contributor weights."""
    earned = inputs["contributors"]["earned"]  # type: ignore[index]
    started = time.perf_counter()
    w = np.fromiter(earned.values(), float, len(earned))
    share = 600_000 * UNIT * w / w.sum()
    floors = np.floor(share)
    left = int(600_000 * UNIT - floors.sum())
    floors[np.argsort(floors - share)[: max(left, 0)]] += 1
    return time.perf_counter() - started


def _merkle(rng: np.random.Generator) -> list[Row]:
    values = [
        (Account.from_key(rng.bytes(32)).address, int(rng.integers(1, 2**62)) * UNIT)
        for _ in range(LEAVES)
    ]
    started = time.perf_counter()
    tree = MerkleTree.of(values)
    ours = time.perf_counter() - started
    rows = [Row(f"Merkle tree, {LEAVES:,} leaves (ours)", ours, "s", "≤ 2 s", "")]
    try:
        from tests.rewards.js import ensure_installed, reference_tree

        problem = ensure_installed()
        if problem is not None:
            raise RuntimeError(problem)
        theirs = reference_tree(values, root_only=True)
        same = "same root" if theirs["root"] == tree.root else "ROOTS DIFFER"
        rows.append(
            Row(
                f"Merkle tree, {LEAVES:,} leaves (@openzeppelin/merkle-tree)",
                float(theirs["seconds"]),
                "s",
                "",
                f"node, in-process time; {same}",
            )
        )
    except Exception as error:  # node missing: the row says why
        rows.append(
            Row("Merkle tree (@openzeppelin/merkle-tree)", float("nan"), "", "", str(error))
        )
    return rows


def run() -> list[Row]:
    rng = np.random.default_rng(7)
    inputs, summed = _inputs(rng)
    started = time.perf_counter()
    result = allocate_epoch(inputs)
    lines = payout_lines(result, [])
    allocated = time.perf_counter() - started
    total = sum(int(r["amount"]) for r in result["allocations"].values())
    exact = total + int(result["unallocated"]) == int(result["total"])
    recipients = len(result["allocations"])
    return [
        Row(
            f"Epoch allocation, {MEMBERS:,} members, {CREDITS:,} credits",
            summed + allocated,
            "s",
            "≤ 2 s",
            f"credits summed {summed:.2f} s + exact split {allocated:.2f} s; "
            f"{recipients:,} recipients, {len(lines):,} payouts, "
            f"{'adds up exactly' if exact else 'DOES NOT ADD UP'}",
        ),
        Row(
            "Epoch allocation anchor: numpy float split",
            _float_split(inputs),
            "s",
            "",
            "same contributor weights; floats are inexact at 18 decimals",
        ),
        *_merkle(rng),
    ]
