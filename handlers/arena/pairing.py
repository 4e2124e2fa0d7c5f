"""Which two models fight next: the pairs whose comparison is least certain.

As in the Chatbot Arena paper's active sampling, a pair's chance grows with how much
one more battle would shrink its uncertainty: close ratings (a win probability near
½, the most informative battle) and few battles so far. We sample in proportion to
p(1−p)/(1+n) rather than always taking the top pair, so every pair keeps being seen.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence


def pair_weights(
    models: Sequence[str],
    battles: Mapping[tuple[str, str], int],
    ratings: Mapping[str, float],
) -> dict[tuple[str, str], float]:
    """Sampling weight of every unordered pair (names sorted within the pair)."""
    out: dict[tuple[str, str], float] = {}
    names = sorted(set(models))
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            gap = ratings.get(first, 1000.0) - ratings.get(second, 1000.0)
            p = 1.0 / (1.0 + math.pow(10.0, -gap / 400.0))
            n = battles.get((first, second), 0)
            out[(first, second)] = p * (1.0 - p) / (1.0 + n)
    return out


def choose_pair(
    models: Sequence[str],
    battles: Mapping[tuple[str, str], int],
    ratings: Mapping[str, float],
    rng: random.Random,
) -> tuple[str, str]:
    """Two different models, drawn by `pair_weights`, in random sides."""
    weights = pair_weights(models, battles, ratings)
    if not weights:
        raise ValueError("the arena needs at least two models")
    pairs = list(weights)
    chosen = rng.choices(pairs, weights=[weights[p] for p in pairs], k=1)[0]
    first, second = chosen
    return (first, second) if rng.random() < 0.5 else (second, first)
