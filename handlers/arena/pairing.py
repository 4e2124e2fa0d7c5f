"""Which two models fight next: the battle expected to teach the most, with a floor.

Active sampling, as in the Chatbot Arena paper (Chiang et al., 2024): a pair's chance
grows with what one more battle between them is expected to teach, judged on the
posterior — the ratings *and how uncertain they are* — never on the point estimates
alone, so a model whose first results put it far from the rest is not starved.

Each model m has a posterior variance var(m) = 1 / (prior precision + Σ battles ×
p(1 − p) against each opponent) (Bradley–Terry's Fisher information, diagonal part).
For a pair with rating gap d (log-odds), V = var(a) + var(b), win chance p averaged
over the uncertainty, expit(d / √(1 + πV/8)), and information I = p(1 − p) per battle,
half the draws serve each of two aims:

* **the order**: the chance the pair is ranked the wrong way round, Φ(−|d| / √V),
  times the share of V one battle removes, I·V / (1 + I·V) — close pairs that are
  not settled yet;
* **the intervals**: how much one battle shrinks the two models' variances,
  var(a)² I / (1 + var(a) I) + the same for b — uncertain models, against opponents
  close enough to be informative (a greedy A-optimal design).

A share `FLOOR` of battles is drawn uniformly over all pairs, so every model battles at
least FLOOR × 2 / models of the time and every pair keeps being seen, whatever the
estimates say. Pairs are drawn, not maximised, and sides are random.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from scipy.stats import norm

from handlers.arena.bt import DEFAULT_L2, ELO_SCALE, MEAN_RATING

FLOOR = 0.25
"""Share of battles drawn uniformly over all pairs."""
ORDER_SHARE = 0.5
"""Share of the active draws that serve the order (the rest: the intervals)."""


def pair_weights(
    models: Sequence[str],
    battles: Mapping[tuple[str, str], int],
    ratings: Mapping[str, float],
    *,
    floor: float = FLOOR,
) -> dict[tuple[str, str], float]:
    """Probability of every unordered pair (names sorted within the pair); sums to 1."""
    names = sorted(set(models))
    n = len(names)
    if n < 2:
        return {}
    index = {name: i for i, name in enumerate(names)}
    count = np.zeros((n, n))
    for (first, second), k in battles.items():
        i, j = index.get(first), index.get(second)
        if i is not None and j is not None and i != j:
            count[i, j] += k
            count[j, i] += k
    strength = np.array([(ratings.get(m, MEAN_RATING) - MEAN_RATING) / ELO_SCALE for m in names])
    gap = strength[:, None] - strength[None, :]
    p = expit(gap)
    info = p * (1.0 - p)
    variance = 1.0 / (DEFAULT_L2 + (count * info).sum(axis=1))
    pair_var = variance[:, None] + variance[None, :]
    moderated = expit(gap / np.sqrt(1.0 + math.pi * pair_var / 8.0))
    moderated_info = moderated * (1.0 - moderated)
    settles = moderated_info * pair_var / (1.0 + moderated_info * pair_var)
    order = norm.cdf(-np.abs(gap) / np.sqrt(pair_var)) * settles
    shrink = variance[:, None] ** 2 * info / (1.0 + variance[:, None] * info)
    upper = np.triu_indices(n, k=1)
    active = ORDER_SHARE * _normalised(order[upper]) + (1.0 - ORDER_SHARE) * _normalised(
        (shrink + shrink.T)[upper]
    )
    chance = (1.0 - floor) * active + floor / len(active)
    return {
        (names[i], names[j]): float(w)
        for i, j, w in zip(upper[0].tolist(), upper[1].tolist(), chance.tolist(), strict=True)
    }


def _normalised(values: NDArray[np.float64]) -> NDArray[np.float64]:
    total = float(values.sum())
    if not math.isfinite(total) or total <= 0:
        return np.full(len(values), 1.0 / len(values))
    return values / total


def choose_pair(
    models: Sequence[str],
    battles: Mapping[tuple[str, str], int],
    ratings: Mapping[str, float],
    rng: random.Random,
    *,
    floor: float = FLOOR,
) -> tuple[str, str]:
    """Two different models, drawn by `pair_weights`, in random sides."""
    weights = pair_weights(models, battles, ratings, floor=floor)
    if not weights:
        raise ValueError("the arena needs at least two models")
    pairs = list(weights)
    chosen = rng.choices(pairs, weights=[weights[p] for p in pairs], k=1)[0]
    first, second = chosen
    return (first, second) if rng.random() < 0.5 else (second, first)
