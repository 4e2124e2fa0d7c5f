"""The prior and the posterior intervals: a few lucky battles neither top the board nor
give a falsely narrow interval; thin models are listed but not ranked."""

from __future__ import annotations

import numpy as np

from handlers.arena import bt
from handlers.arena.board import board_text
from handlers.arena.policy import ArenaPolicy


def _arena(rng: np.random.Generator, truth: np.ndarray, battles: int) -> tuple:
    """Uniformly paired battles among the first len(truth) models (no ties)."""
    n = len(truth)
    a = rng.integers(0, n, battles)
    b = (a + rng.integers(1, n, battles)) % n
    p = 1.0 / (1.0 + 10.0 ** ((truth[b] - truth[a]) / 400.0))
    return a, b, np.where(rng.random(battles) < p, 0, 1)


def test_five_wins_out_of_five_is_not_first_place_nor_plus_1400() -> None:
    rng = np.random.default_rng(1)
    truth = 1000.0 + 125.0 * rng.standard_normal(10)
    a, b, outcome = _arena(rng, truth, 3_000)
    newcomer = 10  # wins its only five battles, against mid-table models
    opponents = np.argsort(truth)[3:8]
    a = np.append(a, np.full(5, newcomer))
    b = np.append(b, opponents)
    outcome = np.append(outcome, np.zeros(5, dtype=np.int64))
    models = [f"m{i}" for i in range(11)]
    counts = bt.collapse_codes(models, a, b, outcome)
    board = bt.leaderboard(counts, rounds=100, min_battles=ArenaPolicy().min_battles)
    new = next(s for s in board if s.model == "m10")
    ranked = [s for s in board if s.rank is not None]
    # five lucky wins do not top the board: listed after the ranked models, unranked
    assert new.rank is None and board[-1] is new
    assert len(ranked) == 10 and ranked[0].rank == 1
    assert new.rating - 1000.0 < 400.0  # (the unregularised fit puts it ~+1,400)
    assert new.upper - new.lower > 300.0  # and its interval says how little is known
    assert new.lower < max(truth) - np.mean(truth) + 1000.0 < new.upper
    assert "m10" in board_text(board) and "not enough battles yet" in board_text(board)
    unregularised = bt.to_ratings(bt.fit(counts, l2=1e-4), models, centre_on=np.arange(10))
    assert unregularised[10] - 1000.0 > 900.0


def test_intervals_cover_the_truth_for_models_with_few_battles() -> None:
    """Truth drawn like a real arena's; a newcomer with 2–12 battles each time."""
    rng = np.random.default_rng(7)
    covered = total = 0
    for trial in range(120):
        truth = 1000.0 + 125.0 * rng.standard_normal(9)
        a, b, outcome = _arena(rng, truth[:8], 800)
        k = int(rng.integers(2, 13))
        opponents = rng.integers(0, 8, k)
        p = 1.0 / (1.0 + 10.0 ** ((truth[opponents] - truth[8]) / 400.0))
        a = np.append(a, np.full(k, 8))
        b = np.append(b, opponents)
        outcome = np.append(outcome, np.where(rng.random(k) < p, 0, 1))
        models = [f"m{i}" for i in range(9)]
        counts = bt.collapse_codes(models, a, b, outcome)
        board = bt.leaderboard(counts, rounds=30, seed=trial, min_battles=20)
        new = next(s for s in board if s.model == "m8")
        centre = float(np.mean(truth[:8]))  # ratings are centred on the ranked models
        covered += new.lower <= truth[8] - centre + 1000.0 <= new.upper
        total += 1
    assert covered / total >= 0.93, covered / total


def test_posterior_interval_reaches_what_the_bootstrap_cannot() -> None:
    # one battle between two models: every resample is the same battle or none
    counts = bt.collapse(["x"], ["y"], ["model_a"])
    board = bt.leaderboard(counts, rounds=50)
    for s in board:
        assert s.upper - s.lower > 200.0
    sd = bt.posterior_sd(bt.fit(counts), counts)
    z = 1.959963984540054
    assert board[0].upper - board[0].rating >= z * sd[0] - 1e-9
