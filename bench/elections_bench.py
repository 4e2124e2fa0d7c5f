"""Election counts: STV with 100,000 ballots, 30 candidates, 7 seats; Equal Shares with
10,000 voters and 50 projects — each beside the library it is checked against.

Targets: ≤ 1 s each. The libraries are exact (fractions) and written for clarity, not
speed, so they are timed on the same profiles but fewer ballots where stated (the
anchor column says how many). Inputs are seeded; our figures are the best of three.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from bench.common import Row
from handlers.voting.rules.budgeting import budget
from handlers.voting.rules.stv import stv

STV_BALLOTS, STV_CANDIDATES, STV_SEATS = 100_000, 30, 7
STV_LIBRARY_BALLOTS = 5_000
MES_VOTERS, MES_PROJECTS = 10_000, 50
MES_LIBRARY_VOTERS = 1_000


def _best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _rankings(n: int, seed: int = 1) -> list[tuple[int, ...]]:
    """Rankings with popular and unpopular candidates (Plackett–Luce-like noise)."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(2.0, 0.2, STV_CANDIDATES)
    keys = rng.gumbel(size=(n, STV_CANDIDATES)) + np.log(strength)
    order = np.argsort(-keys, axis=1)
    lengths = rng.integers(3, STV_CANDIDATES + 1, n)
    return [tuple(int(c) for c in row[:length]) for row, length in zip(order, lengths, strict=True)]


def _approvals(n: int, seed: int = 2) -> tuple[list[tuple[int, ...]], list[float], float]:
    rng = np.random.default_rng(seed)
    popularity = rng.uniform(0.05, 0.5, MES_PROJECTS)
    matrix = rng.random((n, MES_PROJECTS)) < popularity
    matrix[~matrix.any(axis=1), 0] = True
    ballots = [tuple(int(c) for c in np.flatnonzero(row)) for row in matrix]
    costs = [float(c) for c in rng.integers(10, 200, MES_PROJECTS) * 1000]
    return ballots, costs, float(sum(costs) / 4)


def _votelib_stv(rankings: list[tuple[int, ...]]) -> float:
    from votelib.evaluate.sequential import TransferableVoteDistributor

    votes: dict[tuple[int, ...], Fraction] = {}
    for ranking in rankings:
        votes[ranking] = votes.get(ranking, Fraction(0)) + 1
    distributor = TransferableVoteDistributor(quota_function="droop", transferer="Gregory")
    start = time.perf_counter()
    distributor.evaluate(votes, STV_SEATS, max_seats=dict.fromkeys(range(STV_CANDIDATES), 1))
    return time.perf_counter() - start


def _pabutools_mes(ballots: list[tuple[int, ...]], costs: list[float], limit: float) -> float:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import method_of_equal_shares

    projects = [Project(str(i), int(c)) for i, c in enumerate(costs)]
    instance = Instance(projects, budget_limit=int(limit))
    profile = ApprovalProfile(instance=instance)
    for ballot in ballots:
        profile.append(ApprovalBallot([projects[i] for i in ballot]))
    start = time.perf_counter()
    method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    return time.perf_counter() - start


def run() -> list[Row]:
    rows: list[Row] = []
    rankings = _rankings(STV_BALLOTS)
    weights = np.ones(STV_BALLOTS)
    ours = _best_of(lambda: stv(rankings, weights, STV_CANDIDATES, STV_SEATS))
    small = rankings[:STV_LIBRARY_BALLOTS]
    ours_small = _best_of(lambda: stv(small, np.ones(len(small)), STV_CANDIDATES, STV_SEATS))
    theirs_small = _votelib_stv(small)
    rows.append(
        Row(
            "STV 100k ballots, 30 cand., 7 seats",
            ours * 1000,
            "ms",
            "≤ 1,000 ms",
            f"votelib (exact Gregory) on {STV_LIBRARY_BALLOTS:,} of them: "
            f"{theirs_small * 1000:,.0f} ms vs ours {ours_small * 1000:,.1f} ms",
        )
    )
    meek = _best_of(
        lambda: stv(small, np.ones(len(small)), STV_CANDIDATES, STV_SEATS, rule="meek"), 1
    )
    rows.append(
        Row(
            f"STV Meek, {STV_LIBRARY_BALLOTS:,} ballots", meek * 1000, "ms", "", "no library anchor"
        )
    )

    ballots, costs, limit = _approvals(MES_VOTERS)
    w = np.ones(MES_VOTERS)
    ours_mes = _best_of(lambda: budget(ballots, w, costs, limit, "mes"))
    few = ballots[:MES_LIBRARY_VOTERS]
    from handlers.voting.rules import budgeting

    def plain(b: list[tuple[int, ...]]) -> float:
        matrix, gw = budgeting.grouped(b, np.ones(len(b)), MES_PROJECTS)
        start = time.perf_counter()
        budgeting._mes_run(matrix, gw, np.array(costs), limit, "")
        return time.perf_counter() - start

    rows.append(
        Row(
            "MES + completion, 10k voters, 50 projects",
            ours_mes * 1000,
            "ms",
            "≤ 1,000 ms",
            f"one MES run without completion: ours {plain(ballots) * 1000:,.1f} ms",
        )
    )
    rows.append(
        Row(
            f"MES (no completion), {MES_LIBRARY_VOTERS:,} voters",
            plain(few) * 1000,
            "ms",
            "",
            f"pabutools on the same: {_pabutools_mes(few, costs, limit) * 1000:,.0f} ms",
        )
    )
    return rows
