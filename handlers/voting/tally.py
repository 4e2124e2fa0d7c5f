"""Tallying: ballots and their weights → a result that anyone can recompute.

Pure and deterministic. The same ballots in any order give a bit-identical result:
every sum of weights is computed exactly (integer weights through numpy while they
stay below 2**52, anything else with `math.fsum`, which is correctly rounded), so
a re-tally by `govbot audit verify` reproduces the audit hash no matter how the
ballots were read back from storage, and two exactly equal totals are always a tie.

Methods (the selection shapes are described in `handlers.voting.ballots`):

- ``single``: each ballot's full weight goes to its one choice.
- ``basic``: like single over for/against/abstain; only *for* and *against* decide,
  *abstain* counts toward turnout and quorum only.
- ``approval``: each ballot's full weight goes to every choice it approves.
- ``weighted`` (Snapshot's "weighted"): each ballot's weight is split in proportion
  to its shares; the per-choice sums are then rescaled to add up to the total power,
  exactly as snapshot.js does.
- ``quadratic`` (Snapshot's "quadratic", snapshot.js ``src/voting/quadratic.ts``): for
  each choice i, ``(Σ_ballots sqrt(weight × share_i / Σ shares))²``; those results are
  then rescaled so they add up to the total voting power (``result_i / Σ results ×
  total``). Many small voters therefore outweigh one large one of the same total.
- ``ranked``: instant runoff; see `_instant_runoff`.

Outcome, in this order: no ballots (or none carrying any power) → ``no_votes``;
quorum not met → ``no_quorum``; basic with for ≤ against → ``rejected``; the top
totals tied → ``tie``; the leader's share below the threshold → ``failed_threshold``;
otherwise ``passed`` with the winner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from handlers.voting.ballots import BASIC_CHOICES, METHODS, Selection, check_method

__all__ = ["OUTCOMES", "Quorum", "TallyResult", "tally"]

OUTCOMES: Final[tuple[str, ...]] = (
    "passed",
    "no_votes",
    "no_quorum",
    "failed_threshold",
    "tie",
    "rejected",
)

# Below this, a float64 sum of non-negative integers is exact in any order.
_EXACT_INT_LIMIT: Final = float(2**52)

# Significant digits kept by `TallyResult.to_json`: enough for any vote count a
# community produces, few enough that the JSON (and so the audit hash) never depends
# on the last bit of a float computed by another numpy or libm build.
_JSON_DIGITS: Final = 9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Quorum:
    """Minimum participation for a result to count.

    ``percent=True``: `value` is a percentage (0–100) of the eligible voting power;
    ``percent=False``: `value` is an absolute amount of voting power. Abstentions
    count toward it: a member who abstains has taken part.
    """

    value: float
    percent: bool

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"quorum must be a finite number ≥ 0, not {self.value!r}")
        if self.percent and self.value > 100:
            raise ValueError(f"a percent quorum must be at most 100, not {self.value!r}")

    def met(self, total_power: float, eligible_power: float | None) -> bool:
        """Whether `total_power` reaches this quorum.

        A percent quorum needs the eligible power to be known (and positive); when
        it is not, only a 0 % quorum is met, since nothing else can be checked.
        Percent quorums compare ratios (``total / eligible ≥ value / 100``) rather
        than a product, so 10 of 50 meets 20 % exactly despite binary floats.
        """
        if not self.percent:
            return total_power >= self.value
        if self.value == 0:
            return True
        if eligible_power is None or eligible_power <= 0:
            return False
        return total_power / eligible_power >= self.value / 100


def _r(value: float) -> float:
    """Round to `_JSON_DIGITS` significant digits (and turn -0.0 into 0.0)."""
    return float(f"{value:.{_JSON_DIGITS}g}") + 0.0


@dataclass(frozen=True)
class TallyResult:
    """The outcome of a tally, with everything a result card or an auditor needs.

    `totals` are per choice (for ``ranked``: the final round's counts). `total_power`
    is the weight of every ballot counted, abstentions included. `threshold_met`
    says whether the leading choice's share (see `tally`) reaches the threshold; it
    is True when there is no threshold and False when there is no leader's share to
    measure. `rounds` and `eliminated` are filled for ``ranked`` only.
    """

    method: str
    choices: tuple[str, ...]
    totals: tuple[float, ...]
    total_power: float
    voters: int
    eligible_power: float | None
    turnout: float | None
    quorum_met: bool
    threshold_met: bool
    winner: int | None
    outcome: str
    rounds: tuple[tuple[float, ...], ...] = ()
    eliminated: tuple[int, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the proposal passed (convenience for cards and reputation)."""
        return self.outcome == "passed"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able form, deterministic for the audit hash.

        Floats are rounded to 9 significant digits; serialise with
        ``json.dumps(..., sort_keys=True)`` for a canonical byte string.
        ``to_json(from_json(to_json(r))) == to_json(r)``.
        """
        return {
            "method": self.method,
            "choices": list(self.choices),
            "totals": [_r(t) for t in self.totals],
            "total_power": _r(self.total_power),
            "voters": self.voters,
            "eligible_power": None if self.eligible_power is None else _r(self.eligible_power),
            "turnout": None if self.turnout is None else _r(self.turnout),
            "quorum_met": self.quorum_met,
            "threshold_met": self.threshold_met,
            "winner": self.winner,
            "outcome": self.outcome,
            "rounds": [[_r(c) for c in rnd] for rnd in self.rounds],
            "eliminated": list(self.eliminated),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TallyResult:
        """Rebuild a result from `to_json` output; ValueError if it is malformed."""
        try:
            method = str(data["method"])
            outcome = str(data["outcome"])
            if method not in METHODS or outcome not in OUTCOMES:
                raise ValueError(f"unknown method or outcome: {method!r}, {outcome!r}")
            winner = data["winner"]
            eligible = data["eligible_power"]
            turnout = data["turnout"]
            return cls(
                method=method,
                choices=tuple(str(c) for c in data["choices"]),
                totals=tuple(float(t) for t in data["totals"]),
                total_power=float(data["total_power"]),
                voters=int(data["voters"]),
                eligible_power=None if eligible is None else float(eligible),
                turnout=None if turnout is None else float(turnout),
                quorum_met=bool(data["quorum_met"]),
                threshold_met=bool(data["threshold_met"]),
                winner=None if winner is None else int(winner),
                outcome=outcome,
                rounds=tuple(tuple(float(c) for c in rnd) for rnd in data.get("rounds", ())),
                eliminated=tuple(int(i) for i in data.get("eliminated", ())),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed tally result: {exc}") from None


# --------------------------------------------------------------------------- exact sums


def _is_exact_int(weights: FloatArray) -> bool:
    """True when the weights are whole numbers whose total stays below 2**52, so any
    float64 summation order gives the exact (hence order-independent) result."""
    return bool(np.all(np.floor(weights) == weights)) and float(weights.sum()) < _EXACT_INT_LIMIT


def _exact_sum(values: FloatArray) -> float:
    """Correctly rounded sum (independent of order)."""
    if values.size == 0:
        return 0.0
    if _is_exact_int(values):
        return float(values.sum())
    return math.fsum(values.tolist())


def _group_sums(index: IntArray, weights: FloatArray, k: int) -> FloatArray:
    """Per-choice sums of `weights` grouped by `index` (0 ≤ index < k), exactly.

    np.bincount is used when that is exact (whole weights); otherwise the weights are
    grouped with a stable sort and each group summed with math.fsum.
    """
    if index.size == 0:
        return np.zeros(k, dtype=np.float64)
    if _is_exact_int(weights):
        return np.bincount(index, weights=weights, minlength=k).astype(np.float64)
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    sorted_weights = weights[order]
    bounds = np.searchsorted(sorted_index, np.arange(k + 1))
    return np.array(
        [math.fsum(sorted_weights[bounds[i] : bounds[i + 1]].tolist()) for i in range(k)],
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- input


def _weights_of(ballots: Sequence[tuple[Selection, float]]) -> FloatArray:
    weights = np.fromiter(map(itemgetter(1), ballots), dtype=np.float64, count=len(ballots))
    if weights.size and not (np.all(np.isfinite(weights)) and weights.min() >= 0):
        raise ValueError("ballot weights must be finite and ≥ 0")
    return weights


def _flatten_tuples(method: str, selections: list[Any], k: int) -> tuple[IntArray, IntArray]:
    """Validate tuple selections and flatten them: (all indexes, length of each).

    Vectorised so a million single-choice ballots take milliseconds. Checks: each is
    a non-empty tuple of ints in [0, k) without repeats (single/basic: exactly one).
    Approval order is not checked here: it does not change the count.
    """
    n = len(selections)
    if not set(map(type, selections)) <= {tuple}:
        raise ValueError(f"{method} selections must be tuples of choice indexes")
    lengths = np.fromiter(map(len, selections), dtype=np.int64, count=n)
    if n and lengths.min() < 1:
        raise ValueError(f"empty {method} selection")
    if method in ("single", "basic") and n and lengths.max() != 1:
        raise ValueError(f"a {method} selection names exactly one choice")
    flat_list = list(chain.from_iterable(selections))
    if not all(
        issubclass(t, int | np.integer) and t is not bool for t in set(map(type, flat_list))
    ):
        raise ValueError(f"{method} selections must hold integer choice indexes")
    flat = np.array(flat_list, dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= k):
        raise ValueError(f"{method} selection names a choice index outside 0..{k - 1}")
    if method in ("approval", "ranked") and n and lengths.max() > 1:
        if k <= 62:
            bits = np.left_shift(np.int64(1), flat)
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            if not np.array_equal(
                np.add.reduceat(bits, starts), np.bitwise_or.reduceat(bits, starts)
            ):
                raise ValueError(f"a {method} selection names a choice twice")
        elif any(len(set(s)) != len(s) for s in selections):
            raise ValueError(f"a {method} selection names a choice twice")
    return flat, lengths


def _share_items(method: str, selection: Any, k: int) -> list[tuple[int, float]]:
    """Validate one weighted/quadratic selection; its items in ascending index order."""
    if not isinstance(selection, dict) or not selection:
        raise ValueError(f"{method} selections must be non-empty dicts of shares")
    items = sorted(selection.items())
    for index, share in items:
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise ValueError(f"{method} selection keys must be choice indexes")
        if not 0 <= index < k:
            raise ValueError(f"{method} selection names a choice index outside 0..{k - 1}")
        if not (isinstance(share, int | float) and math.isfinite(share) and share > 0):
            raise ValueError(f"{method} shares must be finite and > 0")
    return [(int(i), float(s)) for i, s in items]


# --------------------------------------------------------------------------- methods


def _snapshot_rescale(results: list[float], total_power: float) -> list[float]:
    """Snapshot's final step: ``total / 100 × (result_i / Σ results × 100)``, with
    Σ results summed in choice order and 0 when that sum is 0 (their NaN → 0)."""
    denominator = 0.0
    for value in results:
        denominator += value
    if denominator == 0:
        return [0.0 for _ in results]
    return [(total_power / 100) * (value / denominator * 100) for value in results]


def _split_power(
    method: str,
    ballots: Sequence[tuple[Selection, float]],
    weights: FloatArray,
    k: int,
    total_power: float,
) -> list[float]:
    """weighted and quadratic, following snapshot.js term by term.

    Per ballot, a choice's fraction is ``(share / Σ shares × 100) / 100`` with Σ
    shares added in index order, like their ``percentageOfTotal``; weighted adds
    ``fraction × weight`` per choice, quadratic adds ``sqrt(fraction × weight)`` and
    squares the per-choice sum. The one intended difference: per-choice sums use
    math.fsum instead of a left-to-right reduce, so ballot order cannot matter.
    """
    terms: list[list[float]] = [[] for _ in range(k)]
    quadratic = method == "quadratic"
    for (selection, _), weight in zip(ballots, weights.tolist(), strict=True):
        items = _share_items(method, selection, k)
        share_total = 0.0
        for _, share in items:
            share_total += share
        for index, share in items:
            fraction = (share / share_total * 100) / 100
            terms[index].append(math.sqrt(fraction * weight) if quadratic else fraction * weight)
    sums = [math.fsum(t) for t in terms]
    results = [s * s for s in sums] if quadratic else sums
    return _snapshot_rescale(results, total_power)


@dataclass(frozen=True)
class _Runoff:
    totals: tuple[float, ...]
    rounds: tuple[tuple[float, ...], ...]
    eliminated: tuple[int, ...]
    remaining: tuple[int, ...]
    active_power: float


def _instant_runoff(flat: IntArray, lengths: IntArray, weights: FloatArray, k: int) -> _Runoff:
    """Instant runoff over (possibly partial) rankings.

    Each round every non-exhausted ballot counts, with its full weight, for its
    highest-ranked choice still in the race; every round's counts are recorded
    (eliminated choices show 0). Counting stops when a choice has more than half of
    the non-exhausted weight, when one choice remains, or when every remaining choice
    has the same count (any elimination would then be arbitrary, so the result is a
    tie). Otherwise one choice is eliminated: the lowest count; among equals, the one
    with the lower count in the previous round; if still equal, the one with the
    higher index (listed later on the proposal). Ballots whose choices have all
    been eliminated are exhausted and no longer count.

    Vectorised: rankings sit in an (n, k) matrix padded with -1 and each ballot has a
    pointer to its current choice; after an elimination only the ballots that sat on
    the eliminated choice move their pointer forward.
    """
    n = lengths.size
    ranks = np.full((n, k), -1, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(flat.size) - np.repeat(starts, lengths)
    ranks[rows, cols] = flat

    pointer = np.zeros(n, dtype=np.int64)
    current = ranks[:, 0].copy()
    alive = np.ones(k, dtype=bool)
    rounds: list[FloatArray] = []
    eliminated: list[int] = []
    while True:
        active = current >= 0
        counts = _group_sums(current[active], weights[active], k)
        rounds.append(counts)
        active_power = math.fsum(counts.tolist())
        remaining = np.flatnonzero(alive)
        live = counts[remaining]
        top = float(live.max())
        if len(remaining) == 1 or (active_power > 0 and 2 * top > active_power):
            break
        low = float(live.min())
        if low == top:
            break
        lowest = remaining[live == low]
        if len(lowest) > 1 and len(rounds) > 1:
            previous = rounds[-2][lowest]
            lowest = lowest[previous == previous.min()]
        loser = int(lowest.max())
        alive[loser] = False
        eliminated.append(loser)
        moving = np.flatnonzero(current == loser)
        while moving.size:
            pointer[moving] += 1
            position = pointer[moving]
            nxt = np.where(position < k, ranks[moving, np.minimum(position, k - 1)], np.int64(-1))
            current[moving] = nxt
            blocked = nxt >= 0
            blocked[blocked] = ~alive[nxt[blocked]]
            moving = moving[blocked]
    return _Runoff(
        totals=tuple(float(c) for c in rounds[-1]),
        rounds=tuple(tuple(float(c) for c in rnd) for rnd in rounds),
        eliminated=tuple(eliminated),
        remaining=tuple(int(i) for i in np.flatnonzero(alive)),
        active_power=active_power,
    )


# --------------------------------------------------------------------------- tally


def tally(
    method: str,
    choices: Sequence[str],
    ballots: Sequence[tuple[Selection, float]],
    *,
    quorum: Quorum | None = None,
    threshold: float | None = None,
    eligible_power: float | None = None,
) -> TallyResult:
    """Count `ballots` — ``(selection, weight)`` pairs, one per voter — for a proposal.

    `threshold` is the fraction (0, 1] of the deciding power the winner needs. The
    share measured against it is: single, weighted, quadratic — winner total / sum
    of totals; basic — for / (for + against), abstentions excluded; approval —
    winner total / total power (the power of everyone who voted, since a ballot can
    approve several choices); ranked — the winner's final-round count / the final
    round's non-exhausted power.

    `quorum` (see `Quorum`) is checked against `total_power`, abstentions included;
    no quorum means it is met. `eligible_power` is the power of everyone who could
    vote, used for percent quorums and `turnout`.

    Raises ValueError for malformed input (unknown method, a selection that does not
    fit the method or the choices, negative or non-finite weights, a threshold
    outside (0, 1]): ballots reach here already validated, so that is a bug or
    corrupted storage and must not be silently counted.
    """
    check_method(method)
    k = len(choices)
    if k < 1:
        raise ValueError("a proposal needs choices to tally")
    if method == "basic" and k != len(BASIC_CHOICES):
        raise ValueError(f"a basic proposal has exactly the choices {BASIC_CHOICES}")
    if threshold is not None and not (0 < threshold <= 1):
        raise ValueError(f"threshold must be in (0, 1], not {threshold!r}")
    if eligible_power is not None and not (math.isfinite(eligible_power) and eligible_power >= 0):
        raise ValueError(f"eligible power must be finite and ≥ 0, not {eligible_power!r}")
    if not isinstance(ballots, list | tuple):
        ballots = list(ballots)

    weights = _weights_of(ballots)
    total_power = _exact_sum(weights)
    selections = list(map(itemgetter(0), ballots))
    rounds: tuple[tuple[float, ...], ...] = ()
    eliminated: tuple[int, ...] = ()
    contenders: tuple[int, ...] = tuple(range(k))
    if method in ("weighted", "quadratic"):
        totals = _split_power(method, ballots, weights, k, total_power)
        denominator = math.fsum(totals)
    else:
        flat, lengths = _flatten_tuples(method, selections, k)
        if method == "ranked":
            if ballots:
                runoff = _instant_runoff(flat, lengths, weights, k)
                totals = list(runoff.totals)
                rounds, eliminated = runoff.rounds, runoff.eliminated
                contenders = runoff.remaining
                denominator = runoff.active_power
            else:
                totals, denominator = [0.0] * k, 0.0
        else:
            per_entry = np.repeat(weights, lengths) if method == "approval" else weights
            totals = [float(t) for t in _group_sums(flat, per_entry, k)]
            if method == "approval":
                denominator = total_power
            elif method == "basic":
                denominator = math.fsum(totals[:2])
                contenders = (0, 1)
            else:
                denominator = math.fsum(totals)

    top = max(totals[i] for i in contenders)
    leaders = [i for i in contenders if totals[i] == top]
    leader = leaders[0] if len(leaders) == 1 else None
    # The share measured against the threshold: basic always measures "for".
    measured = 0 if method == "basic" else leader
    threshold_met = threshold is None or (
        denominator > 0 and measured is not None and totals[measured] / denominator >= threshold
    )
    quorum_met = quorum is None or quorum.met(total_power, eligible_power)

    winner: int | None = None
    if not ballots or total_power == 0:
        outcome = "no_votes"
    elif not quorum_met:
        outcome = "no_quorum"
    elif method == "basic" and leader != 0:
        outcome = "rejected"
    elif leader is None:
        outcome = "tie"
    elif not threshold_met:
        outcome = "failed_threshold"
    else:
        outcome, winner = "passed", leader

    return TallyResult(
        method=method,
        choices=tuple(choices),
        totals=tuple(float(t) for t in totals),
        total_power=total_power,
        voters=len(ballots),
        eligible_power=None if eligible_power is None else float(eligible_power),
        turnout=total_power / eligible_power if eligible_power else None,
        quorum_met=quorum_met,
        threshold_met=threshold_met,
        winner=winner,
        outcome=outcome,
        rounds=rounds,
        eliminated=eliminated,
    )
