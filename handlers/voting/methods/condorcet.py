"""condorcet: Schulze's beatpath method; the pairwise matrix is on the result card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples
from handlers.voting.methods.shapes import Ranking
from handlers.voting.rules import params
from handlers.voting.rules.schulze import schulze


def _n(value: float) -> str:
    return f"{value:g}"


class Condorcet(Ranking):
    name = "condorcet"
    help = "rank the choices; Schulze (beatpath) winner, pairwise matrix on the result"
    usage = "/vote <id> b > a > c"
    snapshot_type = "ranked-choice"

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + " > ".join(list(choices[:3]))

    def decides_winners(self, options: Mapping[str, Any]) -> bool:
        return True

    def max_choices(self, options: Mapping[str, Any]) -> int:
        return params.MAX_ELECTION_CHOICES

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        """Pairwise wins of each choice (how many others a majority ranks it above)."""
        flatten_tuples(self.name, selections, k, exactly_one=False)
        result = schulze(selections, weights, k)
        d = result.pairwise
        wins = [float(sum(1 for b in range(k) if d[a][b] > d[b][a])) for a in range(k)]
        return Count(wins, total_power, tuple(range(k)))

    def count_with(
        self,
        selections: list[Any],
        weights: FloatArray,
        k: int,
        total_power: float,
        options: Mapping[str, Any],
        seed: str,
    ) -> Count:
        flatten_tuples(self.name, selections, k, exactly_one=False)
        result = schulze(selections, weights, k)
        winners = result.winners if len(result.winners) == 1 else ()
        return Count(
            [float(b) for b in result.beats],
            total_power,
            tuple(range(k)),
            multi=True,
            winners=winners,
            tied=len(result.winners) > 1,
            detail={**result.to_json(), "unbeaten": list(result.winners)},
        )

    def explain(
        self, names: Sequence[str], result: Mapping[str, Any], options: Mapping[str, Any]
    ) -> list[str]:
        detail = result.get("detail") or {}
        matrix = detail.get("pairwise") or []
        if not matrix:
            return []
        short = [name[:10] for name in names]
        lines = ["Pairwise (row preferred to column):"]
        lines.append("  " + " | ".join(["", *short]))
        for i, row in enumerate(matrix):
            cells = ["—" if i == j else _n(v) for j, v in enumerate(row)]
            lines.append("  " + " | ".join([short[i], *cells]))
        unbeaten = detail.get("unbeaten") or []
        if len(unbeaten) > 1:
            lines.append("Unbeaten (tied): " + ", ".join(names[i] for i in unbeaten))
        return lines


METHOD = Condorcet()
