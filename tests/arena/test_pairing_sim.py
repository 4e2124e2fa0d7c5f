"""Pairing, measured: govbot's pair choice against uniform pairing in a seeded arena.

The same simulation as `python -m bench.sim.arena` (20 models, 30 seeds), smaller so
it runs in seconds: 12 models, 10 seeds, 3,000 votes.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from bench.sim.arena import Setup, compare, draw, uniform_weights
from handlers.arena import bt
from handlers.arena.pairing import FLOOR, choose_pair, pair_weights

SETUP = Setup(
    models=12,
    seeds=10,
    max_votes=3_000,
    checkpoint=100,
    interval_every=1_000,
    early=(30, 60, 120, 250),
    rounds=30,
)


@pytest.fixture(scope="module")
def results():
    ours, uniform = compare(SETUP, {"govbot": pair_weights, "uniform": uniform_weights})
    return ours, uniform


def test_active_pairing_orders_the_models_with_far_fewer_votes(results) -> None:
    ours, uniform = results
    assert ours.votes_to_tau <= 0.75 * uniform.votes_to_tau, (ours, uniform)


def test_every_model_keeps_battling(results) -> None:
    ours, _ = results
    assert ours.min_share >= FLOOR * 2 / SETUP.models


def test_intervals_cover_the_truth_for_thin_and_thick_models(results) -> None:
    for summary in results:
        assert summary.coverage >= 0.93, summary
        assert summary.coverage_few >= 0.93, summary  # fewer than 20 battles at the time


def test_the_simulation_draws_exactly_as_choose_pair_does() -> None:
    names = [f"m{i}" for i in range(6)]
    battles = {("m0", "m1"): 30, ("m2", "m5"): 4}
    ratings = {"m0": 1150.0, "m1": 1120.0, "m2": 700.0}
    for seed in range(20):
        ours = draw(pair_weights(names, battles, ratings), random.Random(seed))
        assert ours == choose_pair(names, battles, ratings, random.Random(seed))


def test_a_model_that_lost_its_first_battles_is_not_starved() -> None:
    """It used to sit 1,000+ points out, and its pairs got almost no weight."""
    rng = np.random.default_rng(2)
    truth = 1000.0 + 125.0 * rng.standard_normal(10)
    a = rng.integers(0, 10, 2_000)
    b = (a + rng.integers(1, 10, 2_000)) % 10
    won = rng.random(2_000) < 1.0 / (1.0 + 10.0 ** ((truth[b] - truth[a]) / 400.0))
    a = np.append(a, [10] * 5)  # the newcomer loses its first five battles
    b = np.append(b, [0, 1, 2, 3, 4])
    outcome = np.append(np.where(won, 0, 1), [1] * 5)
    names = [f"m{i}" for i in range(11)]
    counts = bt.collapse_codes(names, a, b, outcome)
    battles: dict[tuple[str, str], int] = {}
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        key = (min(names[x], names[y]), max(names[x], names[y]))
        battles[key] = battles.get(key, 0) + 1

    def share(weights: dict[tuple[str, str], float]) -> float:
        return sum(w for pair, w in weights.items() if "m10" in pair) / sum(weights.values())

    ratings = dict(zip(names, bt.to_ratings(bt.fit(counts), names).tolist(), strict=True))
    assert ratings["m10"] > 1000.0 - 400.0  # the prior: not −1,400
    assert share(pair_weights(names, battles, ratings)) > 2 / 11  # more than uniform
    # the old rule, p(1 − p) / (1 + battles) on a nearly unregularised fit, starved it
    weak = bt.to_ratings(bt.fit(counts, l2=1e-4), names)
    old = {}
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            p = 1.0 / (1.0 + math.pow(10.0, -(weak[i] - weak[j]) / 400.0))
            old[(first, names[j])] = p * (1 - p) / (1 + battles.get((first, names[j]), 0))
    assert share(old) < 0.02
