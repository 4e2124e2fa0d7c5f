"""Participatory budgeting by approval: Method of Equal Shares (with completion), greedy.

Definitions follow pabutools (and equalshares.net), which the tests compare against;
a voter's weight counts as that many identical voters.

``mes`` (default): the budget B is split among the voters in proportion to their weight.
A project costing c can be bought when its approvers together still hold c; they pay in
equal shares per unit of weight, a supporter who cannot pay its share paying all it has.
Utilities are the projects' costs (pabutools' `Cost_Sat`, equalshares.net's default for
approval ballots), so the project bought next is the one with the least price per unit
of utility, ρ = share / c. When nothing more is affordable, the completion runs: MES is
re-run with the virtual budget raised in steps of 1 % of B, up to 3 × B (pabutools'
`exhaustion_by_budget_increase` with that bound) for as long as what it buys still fits
in B (stopping early if that outcome leaves nothing affordable), then what is left of B
is spent greedily (below) on the projects not yet funded. A project nobody approved is
never funded (pabutools' greedy would add it last if money remained).

``greedy``: projects by approval weight, most first; each is funded if it still fits.

Ties are broken by a lot drawn from the public seed; values within a relative 1e-9 of
each other count as equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from handlers.voting.rules.committees import _mes_price, close, grouped
from handlers.voting.rules.lot import draw

FloatArray = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]
RULES: Final = ("mes", "greedy")
STEP_FRACTION: Final = 0.01
MAX_INCREASES: Final = 200  # the virtual budget stops at 3 × B: bounded work per count


@dataclass(frozen=True)
class BudgetResult:
    rule: str
    funded: tuple[int, ...]  # in the order they were funded
    spent: float
    left: float
    steps: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    virtual_budget: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "order": list(self.funded),
            "spent": self.spent,
            "left": self.left,
            "steps": list(self.steps),
        }
        if self.virtual_budget is not None:
            data["virtual_budget"] = self.virtual_budget
        return data


def _fits(cost: float, room: float) -> bool:
    return cost <= room or close(cost, room)


def budget(
    ballots: Sequence[Sequence[int]],
    weights: FloatArray,
    costs: Sequence[float],
    limit: float,
    rule: str = "mes",
    *,
    seed: str = "",
) -> BudgetResult:
    """Fund projects (choice indexes) within `limit` from weighted approval ballots."""
    k = len(costs)
    cost = np.asarray(costs, dtype=np.float64)
    if not (np.all(np.isfinite(cost)) and np.all(cost > 0)):
        raise ValueError("every project needs a positive cost")
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError("the budget must be positive")
    matrix, w = grouped(ballots, np.asarray(weights, dtype=np.float64), k)
    support = w @ matrix if len(w) else np.zeros(k)
    if rule == "greedy":
        funded, steps = _greedy(cost, support, limit, [], seed, "greedy")
        spent = float(cost[funded].sum()) if funded else 0.0
        return BudgetResult("greedy", tuple(funded), spent, limit - spent, tuple(steps))
    if rule != "mes":
        raise ValueError(f"unknown budgeting rule {rule!r}; rules: {', '.join(RULES)}")
    return _mes_completed(matrix, w, cost, support, limit, seed)


def _greedy(
    cost: FloatArray,
    support: FloatArray,
    limit: float,
    funded: list[int],
    seed: str,
    context: str,
) -> tuple[list[int], list[dict[str, Any]]]:
    funded = list(funded)
    room = limit - (float(cost[funded].sum()) if funded else 0.0)
    left = [c for c in range(len(cost)) if c not in funded and support[c] > 0]
    steps: list[dict[str, Any]] = []
    while left:
        best = max(float(support[c]) for c in left)
        tied = [c for c in left if close(float(support[c]), best)]
        pick = draw(seed, f"{context}{len(steps)}", tied)
        left.remove(pick)
        if _fits(float(cost[pick]), room):
            funded.append(pick)
            room -= float(cost[pick])
            steps.append({"project": pick, "approval": best, "tied": tied, "greedy": True})
    return funded, steps


def _mes_run(
    matrix: BoolMatrix, w: FloatArray, cost: FloatArray, total_budget: float, seed: str
) -> tuple[list[int], list[dict[str, Any]]]:
    """One run of Equal Shares with `total_budget` split among the voters."""
    k = len(cost)
    total = float(w.sum())
    if total <= 0:
        return [], []
    money = w * (total_budget / total)
    supporters = [np.flatnonzero(matrix[:, c] & (w > 0)) for c in range(k)]
    bound = np.zeros(k)  # ρ never falls as budgets shrink: last ρ is a lower bound
    alive = [c for c in range(k) if supporters[c].size]
    funded: list[int] = []
    steps: list[dict[str, Any]] = []
    while alive:
        best = math.inf
        prices: dict[int, float] = {}
        for c in sorted(alive, key=lambda c: bound[c]):
            if bound[c] > best and not close(float(bound[c]), best):
                break
            rows = supporters[c]
            share = _mes_price(money[rows], w[rows], float(cost[c]))
            if share is None:
                alive.remove(c)
                continue
            rho = share / float(cost[c])
            bound[c] = rho
            prices[c] = rho
            if rho < best:
                best = rho
        if not prices:
            break
        tied = sorted(c for c, rho in prices.items() if close(rho, best))
        pick = draw(seed, f"mes{len(funded)}", tied)
        rows = supporters[pick]
        share = prices[pick] * float(cost[pick])
        money[rows] -= np.minimum(money[rows], share * w[rows])
        alive.remove(pick)
        funded.append(pick)
        steps.append({"project": pick, "rho": prices[pick], "tied": tied})
    return funded, steps


def _mes_completed(
    matrix: BoolMatrix,
    w: FloatArray,
    cost: FloatArray,
    support: FloatArray,
    limit: float,
    seed: str,
) -> BudgetResult:
    funded, steps = _mes_run(matrix, w, cost, limit, seed)
    virtual = limit
    step = limit * STEP_FRACTION
    for attempt in range(1, MAX_INCREASES + 1):
        spent = float(cost[funded].sum()) if funded else 0.0
        room = limit - spent
        candidates = [c for c in range(len(cost)) if c not in funded and support[c] > 0]
        if not any(_fits(float(cost[c]), room) for c in candidates):
            break  # exhaustive: nothing more could be bought anyway
        trial_budget = limit + attempt * step
        trial, trial_steps = _mes_run(matrix, w, cost, trial_budget, seed)
        trial_cost = float(cost[trial].sum()) if trial else 0.0
        if not _fits(trial_cost, limit):
            break
        funded, steps, virtual = trial, trial_steps, trial_budget
    funded, more = _greedy(cost, support, limit, funded, seed, "complete")
    spent = float(cost[funded].sum()) if funded else 0.0
    return BudgetResult("mes", tuple(funded), spent, limit - spent, (*steps, *more), virtual)
