"""budget: participatory budgeting by approval; `budget=B`, a cost after each choice.

``/propose Q1 grants | evals 4000 | hosting 2500 | red-teaming 3000 method=budget
budget=6000``: members approve the projects they want; Method of Equal Shares with
completion by default, ``rule=greedy`` as an option. The result lists the funded
projects and the money left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import ChoiceSet
from handlers.voting.rules import params
from handlers.voting.rules.budgeting import RULES, budget
from handlers.voting.rules.params import money


class Budget(ChoiceSet):
    name = "budget"
    help = "split budget=B among projects with costs (Equal Shares, or rule=greedy)"
    usage = "/vote <id> a, c"
    snapshot_type = "approval"
    option_keys = ("budget", "rule")

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + ", ".join(list(choices[:3])[:2])

    def read_options(
        self, raw: Mapping[str, str], choices: Sequence[str]
    ) -> tuple[list[str], dict[str, Any]]:
        params.unknown_keys(raw, self.option_keys, self.name)
        names, costs = params.split_costs(choices)
        if "budget" not in raw:
            raise ValueError("method=budget needs the money to split, like budget=6000.")
        limit = params.positive_number(raw["budget"], "budget=")
        if limit < min(costs):
            raise ValueError(
                f"budget={money(limit)} is smaller than every project "
                f"(the cheapest costs {money(min(costs))})."
            )
        rule = params.rule_of(raw, "rule", RULES, "mes")
        return names, {"budget": limit, "costs": costs, "rule": rule}

    def decides_winners(self, options: Mapping[str, Any]) -> bool:
        return True

    def max_choices(self, options: Mapping[str, Any]) -> int:
        return params.MAX_ELECTION_CHOICES

    def describe(self, options: Mapping[str, Any]) -> str:
        rule = "greedy" if options.get("rule") == "greedy" else "Equal Shares"
        return f"budget {money(float(options.get('budget', 0)))}, {rule}"

    def choice_label(self, name: str, index: int, options: Mapping[str, Any]) -> str:
        costs = options.get("costs") or []
        return f"{name} ({money(float(costs[index]))})" if index < len(costs) else name

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        """Approval weight per project (the live card's tally)."""
        import numpy as np

        flat, lengths = flatten_tuples(self.name, selections, k, exactly_one=False)
        totals = [float(t) for t in group_sums(flat, np.repeat(weights, lengths), k)]
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
        approvals = self.count(selections, weights, k, total_power)
        costs = [float(c) for c in options.get("costs") or [1.0] * k]
        limit = float(options.get("budget") or sum(costs))
        result = budget(
            selections, weights, costs, limit, str(options.get("rule", "mes")), seed=seed
        )
        return Count(
            approvals.totals,
            total_power,
            approvals.contenders,
            multi=True,
            winners=tuple(sorted(result.funded)),
            detail={**result.to_json(), "budget": limit},
        )

    def explain(
        self, names: Sequence[str], result: Mapping[str, Any], options: Mapping[str, Any]
    ) -> list[str]:
        detail = result.get("detail") or {}
        if not detail:
            return []
        costs = options.get("costs") or []
        funded = detail.get("order", [])
        lines = [
            "Funded: "
            + (", ".join(f"{names[i]} ({money(float(costs[i]))})" for i in funded) or "nothing")
        ]
        lines.append(
            f"Spent {money(detail['spent'])} of {money(detail['budget'])}; "
            f"{money(detail['left'])} left"
        )
        for step in detail.get("steps", []):
            p = step["project"]
            if step.get("greedy"):
                lines.append(f"  {names[p]}: funded by approval ({step['approval']:g})")
            else:
                lines.append(f"  {names[p]}: funded by equal shares, ρ = {step['rho']:.4g}")
        if detail.get("virtual_budget") and detail["virtual_budget"] != detail["budget"]:
            lines.append(
                f"  (completion raised the virtual budget to {money(detail['virtual_budget'])})"
            )
        return lines


METHOD = Budget()
