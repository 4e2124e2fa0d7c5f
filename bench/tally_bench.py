"""Tally speed: a million single-choice ballots and a 100,000-ballot instant runoff.

Targets from the brief: tallying must stay far below a chat command's patience even
for a large token-weighted community, so closing a proposal never blocks the bot.
Inputs are seeded so runs are comparable; each figure is the best of three.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from bench.common import Row
from handlers.voting.ballots import Selection
from handlers.voting.tally import tally

SINGLE_BALLOTS = 1_000_000
SINGLE_CHOICES = 5
RANKED_BALLOTS = 100_000
RANKED_CHOICES = 10
REPEATS = 3


def _best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best wall time of `repeats` runs: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _single_ballots(seed: int = 1) -> list[tuple[Selection, float]]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, SINGLE_CHOICES, SINGLE_BALLOTS).tolist()
    return [((i,), 1.0) for i in picks]


def _ranked_ballots(seed: int = 2) -> list[tuple[Selection, float]]:
    rng = np.random.default_rng(seed)
    # Random full rankings; a skew on the first preference makes the runoff go through
    # several rounds instead of ending at once.
    keys = rng.random((RANKED_BALLOTS, RANKED_CHOICES)) - np.linspace(0, 0.3, RANKED_CHOICES)
    orders = np.argsort(keys, axis=1).tolist()
    return [(tuple(order), 1.0) for order in orders]


def run() -> list[Row]:
    """Time both tallies and return them as bench rows (seconds)."""
    single = _single_ballots()
    single_choices = [f"c{i}" for i in range(SINGLE_CHOICES)]
    single_s = _best_of(lambda: tally("single", single_choices, single))

    ranked = _ranked_ballots()
    ranked_choices = [f"c{i}" for i in range(RANKED_CHOICES)]
    result = tally("ranked", ranked_choices, ranked)
    ranked_s = _best_of(lambda: tally("ranked", ranked_choices, ranked))

    return [
        Row(
            "tally: 1,000,000 single-choice ballots",
            single_s,
            "s",
            "≤ 0.5 s",
            "numpy bincount over flattened selections",
        ),
        Row(
            f"tally: instant runoff, 100,000 ballots × 10 choices ({len(result.rounds)} rounds)",
            ranked_s,
            "s",
            "≤ 1 s",
            "vectorised rank matrix with per-ballot pointer",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.cells()))
