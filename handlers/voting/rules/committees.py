"""Approval-based committees: PAV, seq-PAV, seq-Phragmén and the Method of Equal Shares.

Definitions follow abcvoting (Lackner & Skowron, "Multi-Winner Voting with Approval
Preferences"), which the tests compare against; a voter's weight counts as that many
identical voters.

- ``pav``: the committee W maximising Σ_v w_v · H(|A_v ∩ W|), H the harmonic numbers.
  Exhaustive over all committees when there are few, otherwise an integer programme
  (scipy's HiGHS) whose optimum is then made unique by fixing candidates in a lot order.
- ``seqpav``: add, one at a time, the candidate with the largest marginal PAV gain.
- ``phragmen``: sequential Phragmén: each seat costs 1 unit of load spread over its
  approvers; add the candidate whose approvers' maximum load after buying it is least.
- ``mes``: Equal Shares: each voter gets a budget of seats · w_v / W; a candidate costs 1,
  paid by its approvers in equal shares per unit of weight (those who cannot pay their
  share pay all they have); add the candidate whose largest share ρ is least; when no
  candidate is affordable, complete with seq-Phragmén starting from the loads −budget/w
  (abcvoting's default completion).

Ties are broken by a lot drawn from the public seed. Values are floats; two values within
a relative 1e-9 of each other are treated as equal, so a tie is a tie on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from handlers.voting.rules.lot import draw, order
from handlers.voting.sums import group_sums

FloatArray = npt.NDArray[np.float64]
RULES: Final = ("pav", "seqpav", "phragmen", "mes")
_BRUTE_LIMIT: Final = 20_000  # committees enumerated exhaustively for PAV
_REL: Final = 1e-9


@dataclass(frozen=True)
class CommitteeResult:
    rule: str
    committee: tuple[int, ...]  # in the order chosen (sorted for pav)
    steps: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    score: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "order": list(self.committee),
            "steps": list(self.steps),
        }
        if self.score is not None:
            data["score"] = self.score
        return data


def close(a: float, b: float) -> bool:
    """Equal within a relative 1e-9 (infinities only equal themselves)."""
    if a == b:
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= _REL * max(abs(a), abs(b), 1.0)


def approval_matrix(ballots: Sequence[Sequence[int]], k: int) -> npt.NDArray[np.bool_]:
    matrix = np.zeros((len(ballots), k), dtype=bool)
    for row, ballot in enumerate(ballots):
        matrix[row, list(ballot)] = True
    return matrix


def grouped(
    ballots: Sequence[Sequence[int]], weights: FloatArray, k: int
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Identical ballots merged (their weights added): every rule here is anonymous."""
    matrix = approval_matrix(ballots, k)
    if not len(ballots):
        return matrix, np.asarray(weights, dtype=np.float64)
    unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
    return unique, group_sums(inverse.ravel().astype(np.int64), weights, len(unique))


def _tied_best(values: FloatArray, allowed: Sequence[int], *, lowest: bool) -> list[int]:
    best = min(values[c] for c in allowed) if lowest else max(values[c] for c in allowed)
    return [c for c in allowed if close(float(values[c]), float(best))]


def committee(
    ballots: Sequence[Sequence[int]],
    weights: FloatArray,
    k: int,
    seats: int,
    rule: str,
    *,
    seed: str = "",
) -> CommitteeResult:
    """Elect `seats` of `k` candidates from weighted approval ballots by `rule`."""
    if not 1 <= seats <= k:
        raise ValueError(f"seats must be between 1 and the number of candidates ({k})")
    matrix, w = grouped(ballots, np.asarray(weights, dtype=np.float64), k)
    if rule == "pav":
        return _pav(matrix, w, k, seats, seed)
    if rule == "seqpav":
        return _seqpav(matrix, w, k, seats, seed)
    if rule == "phragmen":
        load = np.zeros(len(w))
        chosen, steps = _phragmen(matrix, w, k, seats, seed, [], load)
        return CommitteeResult(rule, tuple(chosen), tuple(steps))
    if rule == "mes":
        return _mes(matrix, w, k, seats, seed)
    raise ValueError(f"unknown committee rule {rule!r}; rules: {', '.join(RULES)}")


def _harmonic(upto: int) -> FloatArray:
    return np.concatenate(([0.0], np.cumsum(1.0 / np.arange(1, upto + 1))))


def pav_score(matrix: npt.NDArray[np.bool_], w: FloatArray, chosen: Sequence[int]) -> float:
    counts = matrix[:, list(chosen)].sum(axis=1) if chosen else np.zeros(len(w), dtype=int)
    return float(np.dot(w, _harmonic(matrix.shape[1])[counts]))


def _seqpav(
    matrix: npt.NDArray[np.bool_], w: FloatArray, k: int, seats: int, seed: str
) -> CommitteeResult:
    chosen: list[int] = []
    have = np.zeros(len(w))
    steps = []
    for step in range(seats):
        gains = (w / (have + 1.0)) @ matrix
        allowed = [c for c in range(k) if c not in chosen]
        tied = _tied_best(gains, allowed, lowest=False)
        pick = draw(seed, f"seqpav{step}", tied)
        chosen.append(pick)
        have += matrix[:, pick]
        steps.append({"candidate": pick, "gain": float(gains[pick]), "tied": tied})
    return CommitteeResult("seqpav", tuple(chosen), tuple(steps))


def _phragmen(
    matrix: npt.NDArray[np.bool_],
    w: FloatArray,
    k: int,
    seats: int,
    seed: str,
    chosen: list[int],
    load: FloatArray,
) -> tuple[list[int], list[dict[str, Any]]]:
    support = w @ matrix
    steps = []
    chosen = list(chosen)
    for step in range(len(chosen), seats):
        loaded = (w * load) @ matrix
        with np.errstate(divide="ignore", invalid="ignore"):
            new_max = np.where(support > 0, (loaded + 1.0) / support, seats + 1.0)
        allowed = [c for c in range(k) if c not in chosen]
        tied = _tied_best(new_max, allowed, lowest=True)
        pick = draw(seed, f"phragmen{step}", tied)
        chosen.append(pick)
        if support[pick] > 0:
            load[matrix[:, pick]] = new_max[pick]
        steps.append({"candidate": pick, "load": float(new_max[pick]), "tied": tied})
    return chosen, steps


def _mes_price(budget: FloatArray, weight: FloatArray, cost: float) -> float | None:
    """Least ρ with Σ min(b_i, ρ·w_i) = cost over these supporters; None if unaffordable.

    Budgets per unit of weight (b_i / w_i) are sorted; those below ρ pay all they have.
    """
    if budget.size == 0:
        return None
    available = float(budget.sum())
    if available < cost and not close(available, cost):
        return None
    per_unit = budget / weight
    order_ = np.argsort(per_unit, kind="stable")
    b, wt, pu = budget[order_], weight[order_], per_unit[order_]
    paid_before = np.concatenate(([0.0], np.cumsum(b)[:-1]))
    weight_after = np.cumsum(wt[::-1])[::-1]
    rho = (cost - paid_before) / weight_after
    fits = (rho <= pu) | np.isclose(rho, pu, rtol=_REL, atol=0.0)
    index = int(np.argmax(fits)) if fits.any() else len(rho) - 1
    return float(rho[index])


def _mes(
    matrix: npt.NDArray[np.bool_], w: FloatArray, k: int, seats: int, seed: str
) -> CommitteeResult:
    total = float(w.sum())
    budget = w * seats / total if total > 0 else np.zeros(len(w))
    chosen: list[int] = []
    steps: list[dict[str, Any]] = []
    while len(chosen) < seats:
        prices = np.full(k, math.inf)
        for c in range(k):
            if c in chosen:
                continue
            rows = matrix[:, c] & (w > 0)
            price = _mes_price(budget[rows], w[rows], 1.0)
            if price is not None:
                prices[c] = price
        affordable = [c for c in range(k) if math.isfinite(prices[c])]
        if not affordable:
            break
        tied = _tied_best(prices, affordable, lowest=True)
        pick = draw(seed, f"mes{len(chosen)}", tied)
        rows = matrix[:, pick]
        budget[rows] -= np.minimum(budget[rows], prices[pick] * w[rows])
        chosen.append(pick)
        steps.append({"candidate": pick, "rho": float(prices[pick]), "tied": tied})
    if len(chosen) < seats:
        with np.errstate(divide="ignore", invalid="ignore"):
            load = np.where(w > 0, -budget / w, 0.0)
        chosen, more = _phragmen(matrix, w, k, seats, seed, chosen, load)
        steps.extend({**s, "completion": "phragmen"} for s in more)
    return CommitteeResult("mes", tuple(chosen), tuple(steps))


def _pav(
    matrix: npt.NDArray[np.bool_], w: FloatArray, k: int, seats: int, seed: str
) -> CommitteeResult:
    if math.comb(k, seats) <= _BRUTE_LIMIT:
        best: list[tuple[int, ...]] = []
        best_score = -math.inf
        harmonic = _harmonic(seats)
        for combo in combinations(range(k), seats):
            score = float(np.dot(w, harmonic[matrix[:, combo].sum(axis=1)]))
            if score > best_score and not close(score, best_score):
                best, best_score = [combo], score
            elif close(score, best_score):
                best.append(combo)
        priority = order(seed, "pav", range(k))
        rank = {c: i for i, c in enumerate(priority)}
        # The tied committee whose members come earliest in the lot order.
        chosen = min(best, key=lambda combo: sorted(rank[c] for c in combo))
        return CommitteeResult("pav", tuple(chosen), (), best_score)
    return _pav_ilp(matrix, w, k, seats, seed)


def _pav_ilp(
    matrix: npt.NDArray[np.bool_], w: FloatArray, k: int, seats: int, seed: str
) -> CommitteeResult:
    """max Σ_g w_g Σ_l x_{g,l}/l  s.t.  Σ_l x_{g,l} = Σ_{c∈A_g} y_c, Σ y = seats."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    groups = len(w)
    levels = seats
    n_x = groups * levels
    n = k + n_x
    objective = np.zeros(n)
    for g in range(groups):
        objective[k + g * levels : k + (g + 1) * levels] = -w[g] / np.arange(1, levels + 1)
    rows = lil_matrix((groups + 1, n))
    for g in range(groups):
        rows[g, k + g * levels : k + (g + 1) * levels] = 1.0
        for member in np.flatnonzero(matrix[g]):
            rows[g, int(member)] = -1.0
    rows[groups, :k] = 1.0
    lower = np.zeros(groups + 1)
    upper = np.zeros(groups + 1)
    lower[groups] = upper[groups] = seats
    integrality = np.concatenate((np.ones(k), np.zeros(n_x)))

    def solve(fixed: dict[int, int]) -> tuple[float, FloatArray] | None:
        lo = np.zeros(n)
        hi = np.ones(n)
        for c, v in fixed.items():
            lo[c] = hi[c] = v
        res = milp(
            objective,
            constraints=LinearConstraint(rows.tocsr(), lower, upper),
            integrality=integrality,
            bounds=Bounds(lo, hi),
        )
        if res.status != 0:
            return None
        return -float(res.fun), res.x

    first = solve({})
    if first is None:
        raise ValueError("the PAV programme has no solution")
    best_score = first[0]
    fixed: dict[int, int] = {}
    for c in order(seed, "pav", range(k)):
        if sum(fixed.values()) == seats:
            fixed[c] = 0
            continue
        trial = solve({**fixed, c: 1})
        fixed[c] = 1 if trial is not None and close(trial[0], best_score) else 0
    chosen = tuple(sorted(c for c, v in fixed.items() if v))
    return CommitteeResult("pav", chosen, (), pav_score(matrix, w, chosen))
