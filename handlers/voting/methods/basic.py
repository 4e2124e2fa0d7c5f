"""basic: for / against / abstain (Snapshot's "basic"). Only for and against decide;
abstain counts toward turnout and quorum only, and for must lead or it is rejected."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from handlers.core.errors import BadBallot
from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import OneChoice

BASIC_CHOICES: Final[tuple[str, ...]] = ("for", "against", "abstain")

# The words people actually type for yes/no.
ALIASES: Final[dict[str, int]] = {
    "for": 0,
    "yes": 0,
    "y": 0,
    "yea": 0,
    "aye": 0,
    "👍": 0,
    "against": 1,
    "no": 1,
    "n": 1,
    "nay": 1,
    "👎": 1,
    "abstain": 2,
    "abstention": 2,
}


class Basic(OneChoice):
    name = "basic"
    help = "for / against / abstain (no choices to give)"
    usage = "/vote <id> for | against | abstain"
    snapshot_type = "basic"
    fixed_choices = BASIC_CHOICES
    aliases = ALIASES

    def _validate_more(self, selection: tuple[int, ...]) -> None:
        if selection[0] > 2:
            raise BadBallot("A basic selection is 0 (for), 1 (against) or 2 (abstain).")

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} for or against or abstain"

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        flat, _ = flatten_tuples(self.name, selections, k, exactly_one=True)
        totals = [float(t) for t in group_sums(flat, weights, k)]
        return Count(totals, math.fsum(totals[:2]), (0, 1))

    def measured(self, leader: int | None) -> int | None:
        return 0  # the threshold always measures "for"

    def rejected(self, leader: int | None) -> bool:
        return leader != 0


METHOD = Basic()
