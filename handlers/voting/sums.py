"""Exact, order-independent sums of voting weights (shared by every counting kernel).

Every sum of weights is computed exactly (integer weights through numpy while they stay
below 2**52, anything else with `math.fsum`, which is correctly rounded), so a re-tally
by `govbot audit verify` reproduces the audit hash however the ballots were read back.
Kept outside `methods/` so the multi-winner rules in `rules/` can use it too.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Below this, a float64 sum of non-negative integers is exact in any order.
_EXACT_INT_LIMIT: Final = float(2**52)


def is_exact_int(weights: FloatArray) -> bool:
    """True when the weights are whole numbers whose total stays below 2**52, so any
    float64 summation order gives the exact (hence order-independent) result."""
    return bool(np.all(np.floor(weights) == weights)) and float(weights.sum()) < _EXACT_INT_LIMIT


def exact_sum(values: FloatArray) -> float:
    """Correctly rounded sum (independent of order)."""
    if values.size == 0:
        return 0.0
    if is_exact_int(values):
        return float(values.sum())
    return math.fsum(values.tolist())


def group_sums(index: IntArray, weights: FloatArray, k: int) -> FloatArray:
    """Per-choice sums of `weights` grouped by `index` (0 ≤ index < k), exactly.

    np.bincount is used when that is exact (whole weights); otherwise the weights are
    grouped with a stable sort and each group summed with math.fsum.
    """
    if index.size == 0:
        return np.zeros(k, dtype=np.float64)
    if is_exact_int(weights):
        return np.bincount(index, weights=weights, minlength=k).astype(np.float64)
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    sorted_weights = weights[order]
    bounds = np.searchsorted(sorted_index, np.arange(k + 1))
    return np.array(
        [math.fsum(sorted_weights[bounds[i] : bounds[i + 1]].tolist()) for i in range(k)],
        dtype=np.float64,
    )
