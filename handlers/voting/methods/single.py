"""single: one choice per ballot; each ballot's full weight goes to it (Snapshot's
"single-choice")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import OneChoice


class Single(OneChoice):
    name = "single"
    help = "one choice per ballot (the default)"
    usage = "/vote <id> <choice name or number>"
    snapshot_type = "single-choice"

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + " or ".join(list(choices[:3])[:2])

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        flat, _ = flatten_tuples(self.name, selections, k, exactly_one=True)
        totals = [float(t) for t in group_sums(flat, weights, k)]
        return Count(totals, math.fsum(totals), tuple(range(k)))


METHOD = Single()
