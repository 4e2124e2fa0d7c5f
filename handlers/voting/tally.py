"""Tallying: ballots and their weights → a result that anyone can recompute.

Pure and deterministic. The same ballots in any order give a bit-identical result:
every sum of weights is computed exactly (integer weights through numpy while they
stay below 2**52, anything else with `math.fsum`, which is correctly rounded), so
a re-tally by `govbot audit verify` reproduces the audit hash no matter how the
ballots were read back from storage, and two exactly equal totals are always a tie.

Each method's counting kernel lives in its own module under `handlers/voting/methods/`
(single, basic, approval, ranked — instant runoff — weighted and quadratic as
snapshot.js counts them); this module applies the rules every method shares.

Outcome, in this order: no ballots (or none carrying any power) → ``no_votes``;
quorum not met → ``no_quorum``; basic with for ≤ against → ``rejected``; the top
totals tied → ``tie``; the leader's share below the threshold → ``failed_threshold``;
otherwise ``passed`` with the winner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from handlers.voting import methods
from handlers.voting.methods.base import Selection
from handlers.voting.methods.counting import exact_sum

__all__ = ["OUTCOMES", "Quorum", "TallyResult", "tally"]

OUTCOMES: Final[tuple[str, ...]] = (
    "passed",
    "no_votes",
    "no_quorum",
    "failed_threshold",
    "tie",
    "rejected",
)


# Significant digits kept by `TallyResult.to_json`: enough for any vote count a
# community produces, few enough that the JSON (and so the audit hash) never depends
# on the last bit of a float computed by another numpy or libm build.
_JSON_DIGITS: Final = 9

FloatArray = npt.NDArray[np.float64]


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
    multi: bool = False
    winners: tuple[int, ...] = ()
    detail: dict[str, Any] | None = None

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
            # Only methods that decide their own winners add these, so results of the
            # other methods (and their audit hashes) are exactly what they always were.
            **(
                {"winners": list(self.winners), "detail": _rounded(self.detail or {})}
                if self.multi
                else {}
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TallyResult:
        """Rebuild a result from `to_json` output; ValueError if it is malformed."""
        try:
            method = str(data["method"])
            outcome = str(data["outcome"])
            if method not in methods.METHODS or outcome not in OUTCOMES:
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
                multi="winners" in data,
                winners=tuple(int(i) for i in data.get("winners", ())),
                detail=data.get("detail"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed tally result: {exc}") from None


def _rounded(value: Any) -> Any:
    """A method's detail with every float rounded like the totals (stable hashes)."""
    if isinstance(value, float):
        return _r(value)
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


# --------------------------------------------------------------------------- tally


def _weights_of(ballots: Sequence[tuple[Selection, float]]) -> FloatArray:
    weights = np.fromiter(map(itemgetter(1), ballots), dtype=np.float64, count=len(ballots))
    if weights.size and not (np.all(np.isfinite(weights)) and weights.min() >= 0):
        raise ValueError("ballot weights must be finite and ≥ 0")
    return weights


def tally(
    method: str,
    choices: Sequence[str],
    ballots: Sequence[tuple[Selection, float]],
    *,
    quorum: Quorum | None = None,
    threshold: float | None = None,
    eligible_power: float | None = None,
    options: dict[str, Any] | None = None,
    seed: str = "",
    preview: bool = False,
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

    `options` are the method's own (seats=, rule=, budget=, costs); methods that decide
    their winners themselves (multi-winner, Condorcet) then fill `winners` and `detail`,
    the threshold does not apply to them, and a count with no winner is a tie. `seed`
    draws the lots that break their ties. `preview` counts only the per-choice totals
    (the live card), skipping the full election.

    Raises ValueError for malformed input (unknown method, a selection that does not
    fit the method or the choices, negative or non-finite weights, a threshold
    outside (0, 1]): ballots reach here already validated, so that is a bug or
    corrupted storage and must not be silently counted.
    """
    voting = methods.get(method)
    k = len(choices)
    if k < 1:
        raise ValueError("a proposal needs choices to tally")
    voting.check_choices(choices)
    if threshold is not None and not (0 < threshold <= 1):
        raise ValueError(f"threshold must be in (0, 1], not {threshold!r}")
    if eligible_power is not None and not (math.isfinite(eligible_power) and eligible_power >= 0):
        raise ValueError(f"eligible power must be finite and ≥ 0, not {eligible_power!r}")
    if not isinstance(ballots, list | tuple):
        ballots = list(ballots)

    weights = _weights_of(ballots)
    total_power = exact_sum(weights)
    selections = list(map(itemgetter(0), ballots))
    if preview:
        count = voting.count(selections, weights, k, total_power)
    else:
        count = voting.count_with(selections, weights, k, total_power, options or {}, seed)
    if count.multi:
        return _decided(method, choices, ballots, count, total_power, quorum, eligible_power)
    totals, denominator, contenders = count.totals, count.denominator, count.contenders
    rounds, eliminated = count.rounds, count.eliminated

    top = max(totals[i] for i in contenders)
    leaders = [i for i in contenders if totals[i] == top]
    leader = leaders[0] if len(leaders) == 1 else None
    measured = voting.measured(leader)  # whose share meets the threshold
    threshold_met = threshold is None or (
        denominator > 0 and measured is not None and totals[measured] / denominator >= threshold
    )
    quorum_met = quorum is None or quorum.met(total_power, eligible_power)

    winner: int | None = None
    if not ballots or total_power == 0:
        outcome = "no_votes"
    elif not quorum_met:
        outcome = "no_quorum"
    elif voting.rejected(leader):
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


def _decided(
    method: str,
    choices: Sequence[str],
    ballots: Sequence[tuple[Selection, float]],
    count: Any,
    total_power: float,
    quorum: Quorum | None,
    eligible_power: float | None,
) -> TallyResult:
    """The outcome of a method that picks its own winners (no threshold)."""
    quorum_met = quorum is None or quorum.met(total_power, eligible_power)
    winners = tuple(count.winners)
    if not ballots or total_power == 0:
        outcome, winners = "no_votes", ()
    elif not quorum_met:
        outcome, winners = "no_quorum", ()
    elif count.tied:
        outcome = "tie"
    else:
        outcome = "passed"
    return TallyResult(
        method=method,
        choices=tuple(choices),
        totals=tuple(float(t) for t in count.totals),
        total_power=total_power,
        voters=len(ballots),
        eligible_power=None if eligible_power is None else float(eligible_power),
        turnout=total_power / eligible_power if eligible_power else None,
        quorum_met=quorum_met,
        threshold_met=True,
        winner=winners[0] if len(winners) == 1 else None,
        outcome=outcome,
        multi=True,
        winners=winners,
        detail=count.detail if outcome in ("passed", "tie") else None,
    )
