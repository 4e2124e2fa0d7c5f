"""stv: single transferable vote for `seats=N` (Scottish rules; `stv_rule=meek`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import Ranking
from handlers.voting.rules import params
from handlers.voting.rules.stv import RULES, stv


def _votes(value: float) -> str:
    return f"{value:,.5f}".rstrip("0").rstrip(".")


class Stv(Ranking):
    name = "stv"
    help = "elect seats=N by single transferable vote (Droop quota, every stage shown)"
    usage = "/vote <id> b > a > c"
    snapshot_type = "ranked-choice"
    option_keys = ("seats", "stv_rule")

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + " > ".join(list(choices[:3]))

    def read_options(
        self, raw: Mapping[str, str], choices: Sequence[str]
    ) -> tuple[list[str], dict[str, Any]]:
        params.unknown_keys(raw, self.option_keys, self.name)
        seats = params.seats_of(raw, len(choices))
        return list(choices), {
            "seats": seats,
            "stv_rule": params.rule_of(raw, "stv_rule", RULES, "gregory"),
        }

    def decides_winners(self, options: Mapping[str, Any]) -> bool:
        return True

    def max_choices(self, options: Mapping[str, Any]) -> int:
        return params.MAX_ELECTION_CHOICES

    def describe(self, options: Mapping[str, Any]) -> str:
        rule = "Meek" if options.get("stv_rule") == "meek" else "Scottish rules"
        return f"{options.get('seats', 1)} seat(s), {rule}"

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        """First preferences (the live card's tally)."""
        flat, lengths = flatten_tuples(self.name, selections, k, exactly_one=False)
        starts = lengths.cumsum() - lengths
        firsts = flat[starts] if len(selections) else flat
        totals = [float(t) for t in group_sums(firsts, weights, k)]
        return Count(totals, total_power, tuple(range(k)))

    def count_with(
        self,
        selections: list[Any],
        weights: FloatArray,
        k: int,
        total_power: float,
        options: Mapping[str, Any],
        seed: str,
    ) -> Count:
        first = self.count(selections, weights, k, total_power)
        seats = int(options.get("seats", 1))
        if not selections or total_power <= 0:
            return Count(first.totals, total_power, first.contenders, multi=True)
        result = stv(
            selections, weights, k, seats, rule=str(options.get("stv_rule", "gregory")), seed=seed
        )
        return Count(
            first.totals,
            total_power,
            first.contenders,
            multi=True,
            winners=tuple(sorted(result.elected)),
            detail=result.to_json(),
        )

    def explain(
        self, names: Sequence[str], result: Mapping[str, Any], options: Mapping[str, Any]
    ) -> list[str]:
        detail = result.get("detail") or {}
        if not detail:
            return []
        lines = [f"Quota (Droop): {_votes(detail['quota'])} · rule {detail['rule']}"]
        for number, stage in enumerate(detail.get("stages", []), 1):
            action, cand = stage["action"], stage.get("candidate")
            what = {
                "first": "first preferences",
                "surplus": f"surplus of {names[cand]} transferred" if cand is not None else "",
                "exclude": f"{names[cand]} excluded" if cand is not None else "",
                "remaining": "remaining candidates elected",
                "meek": "keep factors converged",
            }.get(action, action)
            shown = ", ".join(f"{names[i]} {_votes(v)}" for i, v in enumerate(stage["totals"]) if v)
            moved = stage.get("transfers") or []
            flows = ", ".join(
                f"{names[i]} {'+' if v > 0 else ''}{_votes(v)}" for i, v in enumerate(moved) if v
            )
            elected = ", ".join(names[i] for i in stage.get("elected", []))
            line = f"  Stage {number}: {what}: {shown or 'no votes'}"
            if flows:
                line += f" · transfers {flows}"
            if stage.get("exhausted"):
                line += f" · exhausted {_votes(stage['exhausted'])}"
            if elected:
                line += f" · elected {elected}"
            lines.append(line)
        if detail.get("lots"):
            lines.append(
                f"  Ties settled by lot (seeded by the opening audit entry): {len(detail['lots'])}"
            )
        return lines


METHOD = Stv()
