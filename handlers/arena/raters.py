"""Rater checks: gold battles, same-side pressing, disagreement with the consensus.

Each check only lowers a rater's weight when the evidence is clear, so an honest new
rater keeps weight 1. For rater m (ratings on revealed, counted battles):

* gold: on gold battles (admins set the better answer) m was right c_g times out of
  n_g. If c_g / n_g < `gold_pass`: f_gold = ((c_g + 1) / (n_g + 2)) / gold_pass, else 1.
* same side: of n_d decisive (A or B) picks, k were A. Sides are random, so
  z_s = |2k − n_d| / √n_d; if z_s ≥ `z`: f_side = 1 − |2k / n_d − 1| (always A: 0), else 1.
* consensus: on n_c ordinary battles where the other raters have a majority, m agreed
  k_c times. With p₀ the pooled agreement rate of all raters,
  z_c = (k_c − n_c·p₀) / √(n_c·p₀·(1 − p₀)); if z_c ≤ −`z`:
  f_cons = min(1, ((k_c + 1) / (n_c + 2)) / p₀), else 1.

weight = max(`min_weight`, f_gold · f_side · f_cons). The fit counts each rating with
its rater's weight, and the raters' reward pool sums the weights of their ratings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from handlers.arena.battles import majority


@dataclass(frozen=True)
class Vote:
    """One counted rating: battle, rater, choice, and the gold answer if any."""

    battle_id: int
    member_id: int
    choice: str
    gold: str | None = None


@dataclass(frozen=True)
class RaterCheck:
    member_id: int
    ratings: int
    gold_seen: int
    gold_right: int
    decisive: int
    a_picks: int
    compared: int
    agreed: int
    f_gold: float
    f_side: float
    f_consensus: float
    weight: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def a_share(self) -> float | None:
        return self.a_picks / self.decisive if self.decisive else None


def check_raters(
    votes: Iterable[Vote],
    *,
    gold_pass: float = 0.75,
    z: float = 2.0,
    min_weight: float = 0.1,
) -> dict[int, RaterCheck]:
    by_battle: dict[int, list[Vote]] = defaultdict(list)
    for v in votes:
        by_battle[v.battle_id].append(v)
    total: dict[int, int] = defaultdict(int)
    gold_seen: dict[int, int] = defaultdict(int)
    gold_right: dict[int, int] = defaultdict(int)
    decisive: dict[int, int] = defaultdict(int)
    a_picks: dict[int, int] = defaultdict(int)
    compared: dict[int, int] = defaultdict(int)
    agreed: dict[int, int] = defaultdict(int)
    for battle in by_battle.values():
        for v in battle:
            m = v.member_id
            total[m] += 1
            if v.choice in ("a", "b"):
                decisive[m] += 1
                a_picks[m] += v.choice == "a"
            if v.gold is not None:
                gold_seen[m] += 1
                gold_right[m] += v.choice == v.gold
                continue
            others = majority([o.choice for o in battle if o.member_id != m])
            if others is not None:
                compared[m] += 1
                agreed[m] += v.choice == others
    pooled_n = sum(compared.values())
    p0 = sum(agreed.values()) / pooled_n if pooled_n else 0.0
    out: dict[int, RaterCheck] = {}
    for m in total:
        reasons: list[str] = []
        f_gold = 1.0
        if gold_seen[m] and gold_right[m] / gold_seen[m] < gold_pass:
            f_gold = min(1.0, (gold_right[m] + 1) / (gold_seen[m] + 2) / gold_pass)
            reasons.append(f"failed gold {gold_seen[m] - gold_right[m]}/{gold_seen[m]}")
        f_side = 1.0
        n_d = decisive[m]
        if n_d:
            z_side = abs(2 * a_picks[m] - n_d) / math.sqrt(n_d)
            if z_side >= z:
                f_side = 1.0 - abs(2 * a_picks[m] / n_d - 1.0)
                side = "A" if 2 * a_picks[m] > n_d else "B"
                share = max(a_picks[m], n_d - a_picks[m]) / n_d
                reasons.append(f"presses {side} {share:.0%} of the time")
        f_cons = 1.0
        n_c = compared[m]
        if n_c and 0.0 < p0 < 1.0:
            z_cons = (agreed[m] - n_c * p0) / math.sqrt(n_c * p0 * (1.0 - p0))
            if z_cons <= -z:
                f_cons = min(1.0, (agreed[m] + 1) / (n_c + 2) / p0)
                reasons.append(f"agrees {agreed[m] / n_c:.0%} vs {p0:.0%} typical")
        weight = max(min_weight, f_gold * f_side * f_cons)
        out[m] = RaterCheck(
            m,
            total[m],
            gold_seen[m],
            gold_right[m],
            n_d,
            a_picks[m],
            n_c,
            agreed[m],
            f_gold,
            f_side,
            f_cons,
            weight,
            tuple(reasons),
        )
    return out


def weights_of(checks: Mapping[int, RaterCheck], members: Iterable[int]) -> list[float]:
    return [checks[m].weight if m in checks else 1.0 for m in members]
