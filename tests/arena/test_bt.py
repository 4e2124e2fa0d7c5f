"""Bradley–Terry: recovery, agreement with an independent fit, bootstrap coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_expit

from handlers.arena import bt


def simulate(
    ratings: np.ndarray, battles: int, rng: np.random.Generator, tie_rate: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Battles between random pairs; ties at `tie_rate`, else BT with the true ratings."""
    n = len(ratings)
    a = rng.integers(0, n, battles)
    b = (a + rng.integers(1, n, battles)) % n
    p_a = 1.0 / (1.0 + 10 ** ((ratings[b] - ratings[a]) / 400.0))
    u = rng.random(battles)
    tie = rng.random(battles) < tie_rate
    outcome = np.where(tie, np.where(rng.random(battles) < 0.5, 2, 3), np.where(u < p_a, 0, 1))
    return a, b, outcome


def centred(r: np.ndarray) -> np.ndarray:
    return r - r.mean() + 1000.0


def test_recovers_known_strengths_from_simulated_battles() -> None:
    rng = np.random.default_rng(11)
    truth = centred(np.array([1250.0, 1180, 1100, 1040, 990, 900, 820, 760]))
    models = [f"m{i}" for i in range(len(truth))]
    # Ties carry no information about the gap, so simulate the decisive battles from
    # the true model and keep ties off for a sharp recovery check.
    a, b, outcome = simulate(truth, 60_000, rng, tie_rate=0.0)
    counts = bt.collapse_codes(models, a, b, outcome)
    ratings = bt.to_ratings(bt.fit(counts), models)
    assert np.max(np.abs(ratings - truth)) < 15.0
    assert list(np.argsort(-ratings)) == list(range(len(truth)))


def _independent_fit(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n: int) -> np.ndarray:
    """A plain logistic regression on the expanded rows (one row per battle), base 10."""
    y = np.where(outcome == 0, 1.0, np.where(outcome == 1, 0.0, 0.5))

    def loss(r: np.ndarray) -> float:
        d = math.log(10) * (r[a] - r[b])
        return float(-(y * log_expit(d) + (1 - y) * log_expit(-d)).sum() + 1e-9 * r @ r)

    result = minimize(loss, np.zeros(n), method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    r = result.x * 400
    return r - r.mean() + 1000


def test_agrees_with_an_independent_fit_on_expanded_rows() -> None:
    rng = np.random.default_rng(5)
    truth = centred(np.array([1100.0, 1050, 1000, 960, 890]))
    models = ["alpha", "beta", "gamma", "delta", "eps"]
    a, b, outcome = simulate(truth, 1_500, rng)
    independent = _independent_fit(a, b, outcome, len(models))
    counts = bt.collapse(
        [models[i] for i in a], [models[i] for i in b], [bt.WINNERS[o] for o in outcome]
    )
    # the likelihood itself (no prior) is the independent fit's
    ours = bt.to_ratings(bt.fit(counts, l2=0.0), counts.models)
    by_name = dict(zip(counts.models, ours, strict=True))
    assert counts.battles == 1_500
    for i, name in enumerate(models):
        assert by_name[name] == pytest.approx(independent[i], abs=0.05)
    # the default prior barely moves models with hundreds of battles (toward the mean)
    shrunk = bt.to_ratings(bt.fit(counts), counts.models)
    assert np.max(np.abs(shrunk - ours)) < 2.0
    assert np.all(np.abs(shrunk - 1000.0) <= np.abs(ours - 1000.0) + 1e-9)
    # FastChat's optimiser on the same collapsed loss lands on the same optimum here
    fast = bt.to_ratings(bt.fit(counts, method="fastchat"), counts.models)
    assert np.max(np.abs(fast - ours)) < 0.5


def test_swapped_sides_and_pair_counts_collapse_to_the_same_fit() -> None:
    # (a beats b) shown as (b, a) with winner model_b is the same battle
    one = bt.collapse(["x", "y", "x"], ["y", "x", "z"], ["model_a", "model_b", "tie"])
    two = bt.collapse(["x", "x", "z"], ["y", "y", "x"], ["model_a", "model_a", "tie (bothbad)"])

    def named(counts: bt.Counts) -> dict[str, float]:
        return dict(zip(counts.models, bt.to_ratings(bt.fit(counts), counts.models), strict=True))

    assert named(one) == pytest.approx(named(two))
    pairs = bt.from_pair_counts(["x", "y", "z"], [[1, 0], [0, 2]], [[0, 2, 0, 0], [0, 0, 1, 0]])
    assert np.allclose(
        bt.to_ratings(bt.fit(pairs), pairs.models), bt.to_ratings(bt.fit(one), one.models)
    )


def test_ties_count_as_half_a_win() -> None:
    # one win each way plus ties: exactly even
    even = bt.collapse(
        ["p", "p", "q", "p"], ["q", "q", "p", "q"], ["model_a", "model_b", "tie", "tie (bothbad)"]
    )
    r = bt.to_ratings(bt.fit(even), even.models)
    assert r == pytest.approx([1000.0, 1000.0], abs=1e-6)
    # 3 wins + 2 ties out of 5 = a score of 4/5: gap = 400·log10(4)
    lopsided = bt.collapse(["p"] * 5, ["q"] * 5, ["model_a"] * 3 + ["tie"] * 2)
    r = bt.to_ratings(bt.fit(lopsided, l2=0.0), lopsided.models)
    assert r[0] - r[1] == pytest.approx(400 * math.log10(4), abs=1e-3)
    board = bt.leaderboard(lopsided, rounds=0)
    assert board[0].win_rate == pytest.approx(0.8)
    assert board[1].win_rate == pytest.approx(0.2)


def test_undefeated_model_stays_finite_and_anchor_shifts() -> None:
    counts = bt.collapse(["champ"] * 6, ["other"] * 6, ["model_a"] * 6)
    r = bt.to_ratings(bt.fit(counts), counts.models)
    assert np.all(np.isfinite(r)) and r[0] > r[1]
    anchored = bt.to_ratings(bt.fit(counts), counts.models, ("other", 1114.0))
    assert anchored[1] == pytest.approx(1114.0)
    assert anchored[0] - anchored[1] == pytest.approx(r[0] - r[1])
    with pytest.raises(ValueError, match="anchor model"):
        bt.to_ratings(bt.fit(counts), counts.models, ("nobody", 1.0))


def test_rank_min_battles_and_listing() -> None:
    lower = np.array([1100.0, 1050, 990, 900])
    upper = np.array([1200.0, 1120, 1060, 980])
    # model 3's upper 980 is below the lower bounds of 0, 1 and 2
    assert list(bt.ranks(lower, upper)) == [1, 1, 2, 4]
    rng = np.random.default_rng(3)
    truth = centred(np.array([1100.0, 1000, 900]))
    a, b, outcome = simulate(truth, 600, rng)
    models = ["a", "b", "c", "rare"]
    a = np.append(a, 3)
    b = np.append(b, 0)
    outcome = np.append(outcome, 1)
    board = bt.leaderboard(bt.collapse_codes(models, a, b, outcome), rounds=50, min_battles=10)
    # the model with one battle is listed last, not ranked ("not enough battles yet")
    assert [s.model for s in board] == ["a", "b", "c", "rare"]
    assert board[-1].rank is None and board[-1].battles == 1
    assert all(s.lower <= s.rating <= s.upper for s in board)
    assert board[0].rank == 1 and board[2].rank is not None and board[2].rank >= 2
    assert sum(s.battles for s in board) == 2 * (600 + 1)


def test_bootstrap_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    rng = np.random.default_rng(2024)
    truth = centred(np.array([1120.0, 1060, 1010, 980, 930, 900]))
    models = [f"m{i}" for i in range(len(truth))]
    covered = total = 0
    for trial in range(80):
        a, b, outcome = simulate(truth, 1_200, rng, tie_rate=0.0)
        board = bt.leaderboard(bt.collapse_codes(models, a, b, outcome), rounds=100, seed=trial)
        for s in board:
            i = models.index(s.model)
            covered += s.lower <= truth[i] <= s.upper
            total += 1
    rate = covered / total
    assert 0.89 <= rate <= 0.99, rate


def test_chord_bootstrap_matches_full_newton_per_round() -> None:
    rng = np.random.default_rng(8)
    truth = centred(np.array([1150.0, 1000, 950, 900]))
    models = ["a", "b", "c", "d"]
    counts = bt.collapse_codes(models, *simulate(truth, 800, rng))
    samples = bt.bootstrap(counts, rounds=5, seed=9)
    again = np.random.default_rng(9)
    flat = counts.cells.reshape(-1)
    draws = again.multinomial(int(flat.sum()), flat / flat.sum(), size=5)
    for r in range(5):
        resampled = bt.Counts(
            counts.models, counts.a, counts.b, draws[r].reshape(counts.cells.shape)
        )
        assert np.allclose(samples[r], bt.fit(resampled), atol=1e-6)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown winner"):
        bt.collapse(["a"], ["b"], ["draw"])
    with pytest.raises(ValueError, match="two different"):
        bt.collapse(["a"], ["a"], ["tie"])
    empty = bt.collapse([], [], [])
    assert bt.leaderboard(empty) == []
