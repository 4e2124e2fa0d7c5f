"""Turnout so far and what quorum still needs: pure, from the proposal and its ballots.

Needed power is the quorum's absolute value, or its percentage of the strategy's
eligible power; the ballots still needed are that power divided by the mean weight of
the ballots cast so far (1 when none are cast), rounded up. Under one member, one vote
both figures are the same, so only ballots are named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from handlers.proposals.counting import quorum_of
from storage.records import ProposalRecord

TOKEN_PREFIXES = ("erc20", "erc721", "native")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@dataclass(frozen=True, slots=True)
class Standing:
    ballots: int
    power: float
    eligible: float | None
    needed_power: float | None  # None: no quorum, or a percentage of an unknown electorate
    more_power: float
    more_ballots: int


def standing(proposal: ProposalRecord, weights: list[float], eligible: float | None) -> Standing:
    power = math.fsum(weights)
    quorum = quorum_of(proposal.quorum)
    needed: float | None = None
    if quorum is not None:
        if not quorum.percent:
            needed = quorum.value
        elif eligible is not None and eligible > 0:
            needed = quorum.value / 100 * eligible
    more = max(0.0, (needed or 0.0) - power)
    mean = power / len(weights) if weights and power > 0 else 1.0
    more_ballots = math.ceil(more / mean - 1e-9) if more > 0 else 0
    return Standing(len(weights), power, eligible, needed, more, more_ballots)


def unit_of(strategy: str) -> str:
    return "tokens" if strategy.split(":", 1)[0].strip() in TOKEN_PREFIXES else "voting power"


def describe(proposal: ProposalRecord, s: Standing) -> list[str]:
    """Two lines: turnout, then what quorum needs (or that it is reached / not set)."""
    noun = "ballot" if s.ballots == 1 else "ballots"
    turnout = f"Turnout so far: {s.ballots} {noun}"
    one_vote = proposal.strategy.strip() == "member"
    if not one_vote:
        turnout += f", {_fmt(s.power)} {unit_of(proposal.strategy)}"
    if s.eligible:
        turnout += f" of {_fmt(s.eligible)} eligible ({s.power / s.eligible:.0%})"
    lines = [turnout + "."]
    if proposal.quorum is None:
        lines.append("No quorum is required.")
    elif s.needed_power is None:
        lines.append(f"Quorum {proposal.quorum} (the eligible total is not known yet).")
    elif s.more_power <= 0:
        lines.append(f"Quorum {proposal.quorum} is reached.")
    else:
        more = f"{s.more_ballots} more ballot{'s' if s.more_ballots != 1 else ''}"
        if not one_vote:
            more += f" or {_fmt(s.more_power)} more {unit_of(proposal.strategy)}"
        lines.append(f"{more} reach quorum ({proposal.quorum}).")
    return lines
