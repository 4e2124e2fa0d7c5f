"""Trust-seeded PageRank (TrustRank / EigenTrust) by power iteration on a sparse matrix.

A random walker follows credits (from giver to receiver, in proportion to their weight)
and, with probability 1 − damping at every step — and always at a member who credited
no one — jumps back to a trusted seed. Standing is where the walker spends its time, so
it flows outward from the seeds: a ring of accounts that no trusted member credits is
never reached and has no standing, however often its members credit each other.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def restart_vector(n: int, seeds: IntArray) -> FloatArray:
    """Uniform over the seeds; uniform over everyone when there are none yet."""
    p = np.zeros(n)
    if len(seeds):
        p[seeds] = 1.0 / len(seeds)
    elif n:
        p[:] = 1.0 / n
    return p


def trust_rank(
    n: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    seeds: IntArray,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> FloatArray:
    """Stationary standing of each of `n` nodes (sums to 1) over weighted edges src → dst."""
    if n == 0:
        return np.zeros(0)
    p = restart_vector(n, seeds)
    # Transposed transition matrix built directly (duplicate edges are summed): one sparse
    # matrix-vector product per iteration moves every node's standing along its credits.
    into = sp.csr_matrix((weight, (dst, src)), shape=(n, n))
    out = np.bincount(src, weights=weight, minlength=n)
    has_out = out > 0
    inv_out = np.zeros(n)
    inv_out[has_out] = 1.0 / out[has_out]
    dangling = ~has_out
    s = p.copy()
    for _ in range(max_iter):
        nxt = damping * (into @ (s * inv_out))
        nxt += (damping * s[dangling].sum() + (1.0 - damping)) * p
        err = float(np.abs(nxt - s).sum())
        s = nxt
        if err < tol:
            break
    return s
