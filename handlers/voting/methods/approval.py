"""approval: a ballot approves any set of choices; its full weight goes to each one
(Snapshot's "approval"). The winner's share is measured against all power cast.

With ``seats=N`` it elects a committee instead: ``rule=pav`` (default), ``seqpav``,
``phragmen`` or ``mes`` (see `handlers.voting.rules.committees`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import flatten_tuples, group_sums
from handlers.voting.methods.shapes import ChoiceSet
from handlers.voting.rules import params
from handlers.voting.rules.committees import RULES, committee

RULE_NAMES = {
    "pav": "proportional approval voting",
    "seqpav": "sequential PAV",
    "phragmen": "sequential Phragmén",
    "mes": "Equal Shares",
}


class Approval(ChoiceSet):
    name = "approval"
    help = "approve any number of choices; seats=N rule=pav|seqpav|phragmen|mes elects a committee"
    usage = "/vote <id> a, c"
    snapshot_type = "approval"
    option_keys = ("seats", "rule")

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} " + ", ".join(list(choices[:3])[:2])

    def read_options(
        self, raw: Mapping[str, str], choices: Sequence[str]
    ) -> tuple[list[str], dict[str, Any]]:
        params.unknown_keys(raw, self.option_keys, self.name)
        if "seats" not in raw:
            if "rule" in raw:
                raise ValueError("rule= chooses how a committee is elected: give seats= too.")
            return list(choices), {}
        seats = params.seats_of(raw, len(choices))
        return list(choices), {"seats": seats, "rule": params.rule_of(raw, "rule", RULES, "pav")}

    def decides_winners(self, options: Mapping[str, Any]) -> bool:
        return "seats" in options

    def max_choices(self, options: Mapping[str, Any]) -> int:
        return params.MAX_ELECTION_CHOICES if "seats" in options else 10

    def describe(self, options: Mapping[str, Any]) -> str:
        if "seats" not in options:
            return ""
        return f"{options['seats']} seat(s), {RULE_NAMES.get(options.get('rule', 'pav'), '')}"

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        flat, lengths = flatten_tuples(self.name, selections, k, exactly_one=False)
        per_entry = np.repeat(weights, lengths)
        totals = [float(t) for t in group_sums(flat, per_entry, k)]
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
        plain = self.count(selections, weights, k, total_power)
        if "seats" not in options:
            return plain
        if not selections or total_power <= 0:
            return Count(plain.totals, total_power, plain.contenders, multi=True)
        result = committee(
            selections,
            weights,
            k,
            int(options["seats"]),
            str(options.get("rule", "pav")),
            seed=seed,
        )
        return Count(
            plain.totals,
            total_power,
            plain.contenders,
            multi=True,
            winners=tuple(sorted(result.committee)),
            detail=result.to_json(),
        )

    def explain(
        self, names: Sequence[str], result: Mapping[str, Any], options: Mapping[str, Any]
    ) -> list[str]:
        detail = result.get("detail") or {}
        if not detail:
            return []
        lines = [f"Rule: {RULE_NAMES.get(detail.get('rule', ''), detail.get('rule'))}"]
        if detail.get("score") is not None:
            lines.append(f"  PAV score {detail['score']:.6g}")
        for number, step in enumerate(detail.get("steps", []), 1):
            c = step["candidate"]
            measure = next(
                (f"{key} {step[key]:.6g}" for key in ("gain", "load", "rho") if key in step), ""
            )
            tied = step.get("tied") or []
            lot = " (tie broken by lot)" if len(tied) > 1 else ""
            extra = " · completion" if step.get("completion") else ""
            lines.append(f"  Seat {number}: {names[c]} ({measure}){lot}{extra}")
        return lines


METHOD = Approval()
