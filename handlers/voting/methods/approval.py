"""approval: a ballot approves any set of choices; its full weight goes to each one
(Snapshot's "approval"). The winner's share is measured against all power cast."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import ChoiceSet


class Approval(ChoiceSet):
    name = "approval"
    help = "approve any number of choices"
    usage = "/vote <id> a, c"
    snapshot_type = "approval"

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + ", ".join(list(choices[:3])[:2])

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        flat, lengths = flatten_tuples(self.name, selections, k, exactly_one=False)
        per_entry = np.repeat(weights, lengths)
        totals = [float(t) for t in group_sums(flat, per_entry, k)]
        return Count(totals, total_power, tuple(range(k)))


METHOD = Approval()
