"""Schulze (beatpath) Condorcet method over weighted, possibly partial rankings.

d[a][b] is the weight of the ballots ranking a above b; a ranked choice is above every
unranked one, and unranked choices are tied with each other. The strength of a path is
its weakest link, links counted as winning votes (d[a][b] where d[a][b] > d[b][a]);
p[a][b] is the strongest path from a to b (Floyd–Warshall, widest path). a beats b when
p[a][b] > p[b][a]; the winners are those no one beats. The full Schulze order ranks by
the number of choices each beats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from handlers.voting.rules.stv import rank_matrix
from handlers.voting.sums import exact_sum

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SchulzeResult:
    pairwise: tuple[tuple[float, ...], ...]
    paths: tuple[tuple[float, ...], ...]
    winners: tuple[int, ...]
    beats: tuple[int, ...]  # how many choices each one beats

    def to_json(self) -> dict[str, Any]:
        return {
            "pairwise": [list(r) for r in self.pairwise],
            "paths": [list(r) for r in self.paths],
            "winners": list(self.winners),
            "beats": list(self.beats),
        }


def pairwise_matrix(rankings: Sequence[Sequence[int]], weights: FloatArray, k: int) -> FloatArray:
    """d[a][b]: weight preferring a to b (exact sums, order-independent)."""
    ranks = rank_matrix(rankings, k)
    n = ranks.shape[0]
    position = np.full((n, k), k, dtype=np.int64)  # unranked: after every ranked choice
    rows, cols = np.nonzero(ranks >= 0)
    position[rows, ranks[rows, cols]] = cols
    d = np.zeros((k, k))
    w = np.asarray(weights, dtype=np.float64)
    for a in range(k):
        for b in range(k):
            if a != b:
                d[a, b] = exact_sum(w[position[:, a] < position[:, b]])
    return d


def schulze(rankings: Sequence[Sequence[int]], weights: FloatArray, k: int) -> SchulzeResult:
    d = pairwise_matrix(rankings, weights, k)
    p = np.where(d > d.T, d, 0.0)
    for i in range(k):
        # widest path through i: p[j][l] = max(p[j][l], min(p[j][i], p[i][l]))
        through = np.minimum(p[:, i : i + 1], p[i : i + 1, :])
        np.fill_diagonal(through, 0.0)
        p = np.maximum(p, through)
    beats_matrix = p > p.T
    beaten = beats_matrix.any(axis=0)
    winners = tuple(int(c) for c in np.flatnonzero(~beaten))
    return SchulzeResult(
        tuple(tuple(float(x) for x in row) for row in d),
        tuple(tuple(float(x) for x in row) for row in p),
        winners,
        tuple(int(x) for x in beats_matrix.sum(axis=1)),
    )
