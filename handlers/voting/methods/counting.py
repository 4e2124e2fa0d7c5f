"""Validation and flattening shared by the counting kernels, and the exact sums.

Every sum of weights is computed exactly (see `handlers.voting.sums`), so a re-tally
by `govbot audit verify` reproduces the audit hash however the ballots were read back.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

# The exact sums live in `handlers.voting.sums` (the multi-winner rules use them too);
# re-exported here for the kernels that have always imported them from this module.
from handlers.voting.sums import exact_sum, group_sums, is_exact_int

__all__ = [
    "FloatArray",
    "IntArray",
    "exact_sum",
    "flatten_tuples",
    "group_sums",
    "is_exact_int",
    "share_items",
    "snapshot_rescale",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def flatten_tuples(
    method: str, selections: list[Any], k: int, *, exactly_one: bool
) -> tuple[IntArray, IntArray]:
    """Validate tuple selections and flatten them: (all indexes, length of each).

    Vectorised so a million single-choice ballots take milliseconds. Checks: each is
    a non-empty tuple of ints in [0, k) without repeats (`exactly_one`: one each).
    Approval order is not checked here: it does not change the count.
    """
    n = len(selections)
    if not set(map(type, selections)) <= {tuple}:
        raise ValueError(f"{method} selections must be tuples of choice indexes")
    lengths = np.fromiter(map(len, selections), dtype=np.int64, count=n)
    if n and lengths.min() < 1:
        raise ValueError(f"empty {method} selection")
    if exactly_one and n and lengths.max() != 1:
        raise ValueError(f"a {method} selection names exactly one choice")
    flat_list = list(chain.from_iterable(selections))
    if not all(
        issubclass(t, int | np.integer) and t is not bool for t in set(map(type, flat_list))
    ):
        raise ValueError(f"{method} selections must hold integer choice indexes")
    flat = np.array(flat_list, dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= k):
        raise ValueError(f"{method} selection names a choice index outside 0..{k - 1}")
    if not exactly_one and n and lengths.max() > 1:
        if k <= 62:
            bits = np.left_shift(np.int64(1), flat)
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            if not np.array_equal(
                np.add.reduceat(bits, starts), np.bitwise_or.reduceat(bits, starts)
            ):
                raise ValueError(f"a {method} selection names a choice twice")
        elif any(len(set(s)) != len(s) for s in selections):
            raise ValueError(f"a {method} selection names a choice twice")
    return flat, lengths


def share_items(method: str, selection: Any, k: int) -> list[tuple[int, float]]:
    """Validate one weighted/quadratic selection; its items in ascending index order."""
    if not isinstance(selection, dict) or not selection:
        raise ValueError(f"{method} selections must be non-empty dicts of shares")
    items = sorted(selection.items())
    for index, share in items:
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise ValueError(f"{method} selection keys must be choice indexes")
        if not 0 <= index < k:
            raise ValueError(f"{method} selection names a choice index outside 0..{k - 1}")
        if not (isinstance(share, int | float) and math.isfinite(share) and share > 0):
            raise ValueError(f"{method} shares must be finite and > 0")
    return [(int(i), float(s)) for i, s in items]


def snapshot_rescale(results: list[float], total_power: float) -> list[float]:
    """Snapshot's final step: ``total / 100 × (result_i / Σ results × 100)``, with
    Σ results summed in choice order and 0 when that sum is 0 (their NaN → 0)."""
    denominator = 0.0
    for value in results:
        denominator += value
    if denominator == 0:
        return [0.0 for _ in results]
    return [(total_power / 100) * (value / denominator * 100) for value in results]
