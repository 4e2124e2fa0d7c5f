"""Single transferable vote: Scottish (weighted inclusive Gregory) rules, and Meek.

Scottish rules (Scottish Local Government Elections Order 2007, schedule 1, rules 45-52):

- quota (Droop) = floor(valid votes / (seats + 1)) + 1; with fractional voting power the
  same formula is applied at the rules' resolution of 0.00001 of a vote;
- a candidate whose votes reach the quota is elected; the largest untransferred surplus
  is transferred first: every ballot the elected candidate holds moves on to its next
  continuing preference at ``value × surplus / candidate's votes``, truncated to five
  decimal places (the rules ignore the remainder);
- with no surplus left, the continuing candidate with the fewest votes is excluded and
  all its ballots move on at their current value;
- ties (largest surplus, fewest votes) go to the earliest stage at which the tied
  candidates had unequal votes, then to a lot drawn from the public seed (`lot.draw`);
- when as many candidates continue as seats remain, they are all elected.

Exclusion transfers are made in one stage (not in sub-stages by transfer value).

Meek (``rule="meek"``): each elected candidate keeps only the fraction (its keep factor)
of every vote reaching it that brings it to the quota and passes the rest on; the quota
is recomputed from the non-exhausted votes until the keep factors converge. Excluded
candidates keep nothing. Same tie-breaking.

Vectorised: rankings sit in an (n, k) matrix padded with -1; each ballot has a pointer
to its current preference and only the ballots that move are touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from handlers.voting.rules.lot import draw
from handlers.voting.sums import exact_sum, group_sums

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SCALE: Final = 100_000.0  # Scottish rules count to five decimal places
RULES: Final = ("gregory", "meek")
_CONTINUING, _ELECTED, _EXCLUDED = 0, 1, 2


@dataclass(frozen=True)
class Stage:
    """One stage of the count: what happened and every candidate's votes after it."""

    action: str  # first | surplus | exclude | remaining | meek
    candidate: int | None
    totals: tuple[float, ...]
    exhausted: float
    elected: tuple[int, ...]
    transfers: tuple[float, ...] = ()
    keep: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "candidate": self.candidate,
            "totals": list(self.totals),
            "exhausted": self.exhausted,
            "elected": list(self.elected),
        }
        if self.transfers:
            data["transfers"] = list(self.transfers)
        if self.keep:
            data["keep"] = list(self.keep)
        return data


@dataclass(frozen=True)
class StvResult:
    rule: str
    quota: float
    elected: tuple[int, ...]  # in order of election
    stages: tuple[Stage, ...] = field(default_factory=tuple)
    lots: tuple[str, ...] = ()  # the ties settled by lot (which step)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "quota": self.quota,
            "order": list(self.elected),
            "stages": [s.to_json() for s in self.stages],
            "lots": list(self.lots),
        }


def rank_matrix(rankings: Sequence[Sequence[int]], k: int) -> IntArray:
    """Rankings → an (n, k) matrix padded with -1."""
    n = len(rankings)
    lengths = np.fromiter(map(len, rankings), dtype=np.int64, count=n)
    flat = np.fromiter((c for r in rankings for c in r), dtype=np.int64, count=int(lengths.sum()))
    ranks = np.full((n, max(k, 1)), -1, dtype=np.int64)
    if n:
        starts = np.cumsum(lengths) - lengths
        rows = np.repeat(np.arange(n), lengths)
        cols = np.arange(flat.size) - np.repeat(starts, lengths)
        ranks[rows, cols] = flat
    return ranks


# Where lots were drawn in the count running now (appended by `_break_tie`): shown on
# the result card, and lets the library comparisons skip counts settled by lot.
_LOTS: list[str] = []


def _break_tie(
    tied: list[int], history: list[FloatArray], *, lowest: bool, seed: str, context: str
) -> int:
    """Earliest stage at which the tied candidates had unequal votes, then a lot."""
    left = list(tied)
    for totals in history:
        values = totals[left]
        extreme = values.min() if lowest else values.max()
        narrowed = [c for c, v in zip(left, values, strict=True) if v == extreme]
        left = narrowed
        if len(left) == 1:
            return left[0]
    _LOTS.append(context)
    return draw(seed, context, left)


def _pick(
    candidates: list[int],
    totals: FloatArray,
    history: list[FloatArray],
    *,
    lowest: bool,
    seed: str,
    context: str,
) -> int:
    values = totals[candidates]
    extreme = values.min() if lowest else values.max()
    tied = [c for c, v in zip(candidates, values, strict=True) if v == extreme]
    if len(tied) == 1:
        return tied[0]
    return _break_tie(tied, history, lowest=lowest, seed=seed, context=context)


def _in_order(
    cands: list[int], totals: FloatArray, history: list[FloatArray], seed: str, context: str
) -> list[int]:
    """Candidates by votes, most first (ties as for surpluses)."""
    left, out = list(cands), list[int]()
    while left:
        best = _pick(
            left, totals, history, lowest=False, seed=seed, context=f"{context}:{len(out)}"
        )
        out.append(best)
        left.remove(best)
    return out


def stv(
    rankings: Sequence[Sequence[int]],
    weights: FloatArray,
    k: int,
    seats: int,
    *,
    rule: str = "gregory",
    seed: str = "",
) -> StvResult:
    """Elect `seats` of `k` candidates from weighted (possibly partial) rankings."""
    if not 1 <= seats <= k:
        raise ValueError(f"seats must be between 1 and the number of candidates ({k})")
    if rule not in RULES:
        raise ValueError(f"unknown STV rule {rule!r}; rules: {', '.join(RULES)}")
    ranks = rank_matrix(rankings, k)
    weights = np.asarray(weights, dtype=np.float64)
    _LOTS.clear()
    result = (_meek if rule == "meek" else _gregory)(ranks, weights, k, seats, seed)
    return StvResult(result.rule, result.quota, result.elected, result.stages, tuple(_LOTS))


def _advance(
    ranks: IntArray, pointer: IntArray, current: IntArray, moving: IntArray, state: IntArray
) -> None:
    """Move the ballots in `moving` to their next continuing preference (or exhaust)."""
    k = ranks.shape[1]
    while moving.size:
        pointer[moving] += 1
        position = pointer[moving]
        nxt = np.where(position < k, ranks[moving, np.minimum(position, k - 1)], np.int64(-1))
        current[moving] = nxt
        blocked = nxt >= 0
        blocked[blocked] = state[nxt[blocked]] != _CONTINUING
        moving = moving[blocked]


def _gregory(ranks: IntArray, weights: FloatArray, k: int, seats: int, seed: str) -> StvResult:
    n = ranks.shape[0]
    total = exact_sum(weights)
    whole = bool(np.all(np.floor(weights) == weights))
    quota_units = (
        (math.floor(total / (seats + 1)) + 1) * SCALE
        if whole
        else float(math.floor(total * SCALE / (seats + 1)) + 1)
    )
    value = weights * SCALE
    if not whole:
        value = np.floor(value)
    pointer = np.zeros(n, dtype=np.int64)
    current = ranks[:, 0].copy() if n else np.zeros(0, dtype=np.int64)
    state = np.zeros(k, dtype=np.int64)
    fixed = np.zeros(k, dtype=np.float64)  # elected candidates' votes once transferred
    settled = np.zeros(k, dtype=bool)
    elected: list[int] = []
    pending: list[int] = []
    history: list[FloatArray] = []
    stages: list[Stage] = []

    def tallies() -> tuple[FloatArray, float]:
        active = current >= 0
        counts = group_sums(current[active], value[active], k)
        counts[settled] = fixed[settled]
        return counts, exact_sum(value[~active]) if n else 0.0

    def record(action: str, cand: int | None, before: FloatArray | None, new: list[int]) -> None:
        counts, exhausted = tallies()
        history.append(counts)
        transfers: tuple[float, ...] = ()
        if before is not None:
            transfers = tuple(float(x) / SCALE for x in counts - before)
        stages.append(
            Stage(
                action,
                cand,
                tuple(float(x) / SCALE for x in counts),
                exhausted / SCALE,
                tuple(new),
                transfers,
            )
        )

    def elect_reaching(counts: FloatArray, context: str) -> list[int]:
        reaching = [c for c in range(k) if state[c] == _CONTINUING and counts[c] >= quota_units]
        ranked = _in_order(reaching, counts, history, seed, context)
        new = ranked[: seats - len(elected)]
        for c in new:
            state[c] = _ELECTED
            elected.append(c)
            pending.append(c)
        return new

    counts, _ = tallies()
    history.append(counts)
    new = elect_reaching(counts, "first")
    history.pop()
    record("first", None, None, new)
    step = 0
    while len(elected) < seats:
        step += 1
        continuing = [c for c in range(k) if state[c] == _CONTINUING]
        if len(continuing) <= seats - len(elected):
            counts, _ = tallies()
            ordered = _in_order(continuing, counts, history, seed, f"remaining{step}")
            for c in ordered:
                state[c] = _ELECTED
                elected.append(c)
            record("remaining", None, None, ordered)
            break
        before, _ = tallies()
        if pending:
            cand = _pick(
                pending, before, history, lowest=False, seed=seed, context=f"surplus{step}"
            )
            pending.remove(cand)
            holding = np.flatnonzero(current == cand)
            votes = float(before[cand])
            surplus = votes - quota_units
            if surplus > 0 and holding.size:
                value[holding] = np.floor(value[holding] * surplus / votes)
                _advance(ranks, pointer, current, holding, state)
            else:
                current[holding] = -1  # a surplus of nothing: these ballots stay spent
                value[holding] = 0.0
            fixed[cand], settled[cand] = min(votes, quota_units), True
            action = "surplus"
        else:
            cand = _pick(
                continuing, before, history, lowest=True, seed=seed, context=f"exclude{step}"
            )
            state[cand] = _EXCLUDED
            fixed[cand], settled[cand] = 0.0, True
            _advance(ranks, pointer, current, np.flatnonzero(current == cand), state)
            action = "exclude"
        counts, _ = tallies()
        new = elect_reaching(counts, f"elect{step}")
        record(action, cand, before, new)
    return StvResult("gregory", quota_units / SCALE, tuple(elected), tuple(stages))


def _meek(ranks: IntArray, weights: FloatArray, k: int, seats: int, seed: str) -> StvResult:
    if ranks.shape[0]:
        groups, inverse = np.unique(ranks, axis=0, return_inverse=True)
        gweights = group_sums(inverse.ravel().astype(np.int64), weights, len(groups))
    else:
        groups, gweights = ranks, weights
    total = exact_sum(weights)
    keep = np.ones(k, dtype=np.float64)
    state = np.zeros(k, dtype=np.int64)
    elected: list[int] = []
    history: list[FloatArray] = []
    stages: list[Stage] = []
    tolerance = 1e-10 * max(total, 1e-300)

    def distribute() -> tuple[FloatArray, float]:
        counts = np.zeros(k, dtype=np.float64)
        remaining = gweights.copy()
        for position in range(groups.shape[1]):
            cands = groups[:, position]
            valid = cands >= 0
            if not valid.any():
                break
            factor = np.where(valid, keep[np.maximum(cands, 0)], 0.0)
            take = remaining * factor
            counts += np.bincount(cands[valid], weights=take[valid], minlength=k)
            remaining = remaining - take
        return counts, float(remaining.sum())

    def converge() -> tuple[FloatArray, float, float]:
        counts, excess = distribute()
        quota = (total - excess) / (seats + 1)
        for _ in range(2000):
            if not elected:
                break
            done = all(abs(counts[c] - quota) <= tolerance for c in elected)
            if done:
                break
            for c in elected:
                if counts[c] > 0:
                    keep[c] = min(1.0, keep[c] * quota / counts[c])
            counts, excess = distribute()
            quota = (total - excess) / (seats + 1)
        return counts, excess, quota

    quota = total / (seats + 1)
    step = 0
    while len(elected) < seats:
        counts, excess, quota = converge()
        history.append(counts)
        continuing = [c for c in range(k) if state[c] == _CONTINUING]
        if len(continuing) <= seats - len(elected):
            ordered = _in_order(continuing, counts, history, seed, f"remaining{step}")
            for c in ordered:
                state[c] = _ELECTED
                elected.append(c)
            stages.append(_meek_stage("remaining", None, counts, excess, ordered, keep))
            break
        reaching = [c for c in continuing if counts[c] > quota - tolerance and counts[c] > 0]
        if reaching:
            new = _in_order(reaching, counts, history, seed, f"elect{step}")[: seats - len(elected)]
            for c in new:
                state[c] = _ELECTED
                elected.append(c)
            stages.append(_meek_stage("meek", None, counts, excess, new, keep))
        else:
            cand = _pick(
                continuing, counts, history, lowest=True, seed=seed, context=f"exclude{step}"
            )
            state[cand] = _EXCLUDED
            keep[cand] = 0.0
            stages.append(_meek_stage("exclude", cand, counts, excess, [], keep))
        step += 1
    return StvResult("meek", quota, tuple(elected), tuple(stages))


def _meek_stage(
    action: str,
    cand: int | None,
    counts: FloatArray,
    excess: float,
    new: list[int],
    keep: FloatArray,
) -> Stage:
    return Stage(
        action,
        cand,
        tuple(float(x) for x in counts),
        excess,
        tuple(new),
        keep=tuple(float(x) for x in keep),
    )
