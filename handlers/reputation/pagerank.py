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


class Walk:
    """The credit graph as a transposed transition matrix, built once, walked many times.

    Building the sparse matrix costs more than a few walks on it, and the trust
    computation walks the same graph several times (different seeds, different
    `follow`), so it is built once here.
    """

    def __init__(self, n: int, src: IntArray, dst: IntArray, weight: FloatArray) -> None:
        self.n = n
        # duplicate edges are summed; one sparse matrix-vector product per iteration
        # moves every node's standing along its credits
        self.into = sp.csr_matrix((weight, (dst, src)), shape=(n, n))
        out = np.bincount(src, weights=weight, minlength=n)
        self.has_out = out > 0
        self.inv_out = np.zeros(n)
        self.inv_out[self.has_out] = 1.0 / out[self.has_out]

    def rank(
        self,
        seeds: IntArray,
        *,
        damping: float = 0.85,
        tol: float = 1e-10,
        max_iter: int = 200,
        follow: FloatArray | None = None,
        start: FloatArray | None = None,
    ) -> FloatArray:
        """Stationary standing of every node (sums to 1), restarting at `seeds`.

        `follow[v]` ∈ [0, 1] is how much of v's credits the walker follows (default
        all): the rest of the time it leaves v for a seed, as it does from a member who
        credited no one. A walk that follows an untrusted account's credits only as far
        as they are trusted cannot carry standing through it into what it credits.
        `start` warm-starts the iteration (the answer does not depend on it).
        """
        n = self.n
        if n == 0:
            return np.zeros(0)
        p = restart_vector(n, seeds)
        stay = self.has_out.astype(np.float64)
        inv_out = self.inv_out
        if follow is not None:
            stay *= np.clip(follow, 0.0, 1.0)
            inv_out = inv_out * stay
        leave = 1.0 - stay
        s = p.copy() if start is None else start / max(float(start.sum()), 1e-300)
        # One scratch buffer for the elementwise steps: fresh temporaries of this size
        # cost more than the arithmetic (and BLAS's dot product more than both).
        scratch = np.empty(n)
        for _ in range(max_iter):
            nxt = self.into @ np.multiply(s, inv_out, out=scratch)
            lost = float(np.multiply(s, leave, out=scratch).sum())
            nxt *= damping
            nxt += np.multiply(p, damping * lost + (1.0 - damping), out=scratch)
            err = float(np.abs(np.subtract(nxt, s, out=scratch), out=scratch).sum())
            s = nxt
            if err < tol:
                break
        return s

    def inflow(
        self, standing: FloatArray, *, damping: float = 0.85, follow: FloatArray | None = None
    ) -> FloatArray:
        """Standing that reached each node along credits in one step of the walk.

        The stationary standing minus what arrived by restarting (at a seed, or from a
        member whose credits the walk did not follow): the part earned from credits.
        """
        inv_out = self.inv_out if follow is None else self.inv_out * np.clip(follow, 0.0, 1.0)
        arrived: FloatArray = damping * (self.into @ (standing * inv_out))
        return arrived


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
    follow: FloatArray | None = None,
) -> FloatArray:
    """Stationary standing of each of `n` nodes (sums to 1) over weighted edges src → dst."""
    return Walk(n, src, dst, weight).rank(
        seeds, damping=damping, tol=tol, max_iter=max_iter, follow=follow
    )
