"""ranked: instant runoff over (possibly partial) rankings (Snapshot's "ranked-choice")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import IntArray, flatten_tuples, group_sums
from handlers.voting.methods.shapes import Ranking


@dataclass(frozen=True)
class Runoff:
    totals: tuple[float, ...]
    rounds: tuple[tuple[float, ...], ...]
    eliminated: tuple[int, ...]
    remaining: tuple[int, ...]
    active_power: float


def instant_runoff(flat: IntArray, lengths: IntArray, weights: FloatArray, k: int) -> Runoff:
    """Instant runoff over (possibly partial) rankings.

    Each round every non-exhausted ballot counts, with its full weight, for its
    highest-ranked choice still in the race; every round's counts are recorded
    (eliminated choices show 0). Counting stops when a choice has more than half of
    the non-exhausted weight, when one choice remains, or when every remaining choice
    has the same count (any elimination would then be arbitrary, so the result is a
    tie). Otherwise one choice is eliminated: the lowest count; among equals, the one
    with the lower count in the previous round; if still equal, the one with the
    higher index (listed later on the proposal). Ballots whose choices have all
    been eliminated are exhausted and no longer count.

    Vectorised: rankings sit in an (n, k) matrix padded with -1 and each ballot has a
    pointer to its current choice; after an elimination only the ballots that sat on
    the eliminated choice move their pointer forward.
    """
    n = lengths.size
    ranks = np.full((n, k), -1, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(flat.size) - np.repeat(starts, lengths)
    ranks[rows, cols] = flat

    pointer = np.zeros(n, dtype=np.int64)
    current = ranks[:, 0].copy()
    alive = np.ones(k, dtype=bool)
    rounds: list[FloatArray] = []
    eliminated: list[int] = []
    while True:
        active = current >= 0
        counts = group_sums(current[active], weights[active], k)
        rounds.append(counts)
        active_power = math.fsum(counts.tolist())
        remaining = np.flatnonzero(alive)
        live = counts[remaining]
        top = float(live.max())
        if len(remaining) == 1 or (active_power > 0 and 2 * top > active_power):
            break
        low = float(live.min())
        if low == top:
            break
        lowest = remaining[live == low]
        if len(lowest) > 1 and len(rounds) > 1:
            previous = rounds[-2][lowest]
            lowest = lowest[previous == previous.min()]
        loser = int(lowest.max())
        alive[loser] = False
        eliminated.append(loser)
        moving = np.flatnonzero(current == loser)
        while moving.size:
            pointer[moving] += 1
            position = pointer[moving]
            nxt = np.where(position < k, ranks[moving, np.minimum(position, k - 1)], np.int64(-1))
            current[moving] = nxt
            blocked = nxt >= 0
            blocked[blocked] = ~alive[nxt[blocked]]
            moving = moving[blocked]
    return Runoff(
        totals=tuple(float(c) for c in rounds[-1]),
        rounds=tuple(tuple(float(c) for c in rnd) for rnd in rounds),
        eliminated=tuple(eliminated),
        remaining=tuple(int(i) for i in np.flatnonzero(alive)),
        active_power=active_power,
    )


class Ranked(Ranking):
    name = "ranked"
    help = "rank the choices; instant runoff, every round on the result card"
    usage = "/vote <id> b > a > c"
    snapshot_type = "ranked-choice"

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + " > ".join(list(choices[:3]))

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        flat, lengths = flatten_tuples(self.name, selections, k, exactly_one=False)
        if not selections:
            return Count([0.0] * k, 0.0, tuple(range(k)))
        runoff = instant_runoff(flat, lengths, weights, k)
        return Count(
            list(runoff.totals),
            runoff.active_power,
            runoff.remaining,
            runoff.rounds,
            runoff.eliminated,
        )


METHOD = Ranked()
