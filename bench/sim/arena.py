"""How many votes the arena needs, and whether its intervals can be trusted.

`python -m bench.sim.arena` runs, for each pairing strategy, `seeds` arenas of 20 models
whose true ratings are drawn like Chatbot Arena's (normal, sd 125), one vote per battle,
10% ties (half of them "both bad"), drawn so that a tie is worth half a win to both
sides in expectation as the fit assumes, the rest Bradley–Terry with the true ratings.
The pair for each battle is chosen the way govbot chooses it — `pair_weights` on the
ratings `bt.fit` gives on the votes so far, drawn from as `choose_pair` draws — or
uniformly at random. It prints, averaged over the seeds:

* votes to hold Kendall tau ≥ 0.9 between the fitted and the true order (the first
  checkpoint from which the mean tau never drops below it again);
* votes until the mean 95% interval (upper − lower, over the 20 models) stays below
  40 points;
* how often the leaderboard's 95% intervals cover the true rating, for all models and
  for models with fewer than 20 and 50 battles at the time;
* the smallest share of battles any model took part in (uniform: 2/20 = 10%).

Everything is seeded: the same arguments print the same table.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import kendalltau

from handlers.arena import bt
from handlers.arena.pairing import pair_weights

Weigher = Callable[
    [Sequence[str], Mapping[tuple[str, str], int], Mapping[str, float]],
    dict[tuple[str, str], float],
]
"""`pair_weights`' shape: models, battles per pair, ratings → weight per pair."""
MODELS = 20
SPREAD = 125.0
TIE_RATE = 0.10
TAU = 0.9
WIDTH = 40.0


def uniform_weights(
    models: Sequence[str],
    battles: Mapping[tuple[str, str], int],
    ratings: Mapping[str, float],
) -> dict[tuple[str, str], float]:
    """Every pair equally likely: uniform random pairing."""
    names = sorted(set(models))
    return {(a, b): 1.0 for i, a in enumerate(names) for b in names[i + 1 :]}


def draw(weights: dict[tuple[str, str], float], rng: random.Random) -> tuple[str, str]:
    """One pair by weight, in random sides — exactly what `choose_pair` does with them."""
    pairs = list(weights)
    first, second = rng.choices(pairs, weights=[weights[p] for p in pairs], k=1)[0]
    return (first, second) if rng.random() < 0.5 else (second, first)


@dataclass(frozen=True)
class Setup:
    models: int = MODELS
    seeds: int = 30
    max_votes: int = 16_000
    checkpoint: int = 250
    interval_every: int = 1_000
    early: tuple[int, ...] = (50, 100, 200, 400, 700)
    """Extra interval checkpoints while models have few battles."""
    refit_every: int = 10
    """Votes between refits. The bot fits on revealed battles only (a battle is revealed
    after several ratings or an hour), so its pair choice always lags a few battles
    behind; here the ratings and battle counts it sees move every `refit_every` votes,
    and the weights with them."""
    rounds: int = 100
    min_battles: int = 0
    """Models listed on the boards the intervals are read from (0: every model)."""


@dataclass
class Run:
    """One strategy on one seed."""

    taus: list[float] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    covered: list[tuple[int, bool]] = field(default_factory=list)
    """(battles the model had, whether its interval covered the truth)."""
    min_share: float = 0.0


def simulate(weigher: Weigher, seed: int, setup: Setup) -> Run:
    rng = np.random.default_rng(seed)
    picker = random.Random(seed)
    truth = 1000.0 + SPREAD * rng.standard_normal(setup.models)
    names = [f"m{i:02d}" for i in range(setup.models)]
    index = {name: i for i, name in enumerate(names)}
    a = np.zeros(setup.max_votes, dtype=np.int64)
    b = np.zeros(setup.max_votes, dtype=np.int64)
    outcome = np.zeros(setup.max_votes, dtype=np.int64)
    pair_battles: dict[tuple[str, str], int] = {}
    ratings: dict[str, float] = {}
    checks = set(range(setup.checkpoint, setup.max_votes + 1, setup.checkpoint))
    boards = set(range(setup.interval_every, setup.max_votes + 1, setup.interval_every))
    boards |= set(setup.early)
    run = Run()
    weights: dict[tuple[str, str], float] = {}
    for vote in range(setup.max_votes):
        if vote % setup.refit_every == 0:
            if vote:
                counts = bt.collapse_codes(names, a[:vote], b[:vote], outcome[:vote])
                fitted = bt.to_ratings(bt.fit(counts), names)
                ratings = dict(zip(names, fitted.tolist(), strict=True))
            weights = weigher(names, dict(pair_battles), ratings)
        first, second = draw(weights, picker)
        i, j = index[first], index[second]
        key = (first, second) if first < second else (second, first)
        pair_battles[key] = pair_battles.get(key, 0) + 1
        a[vote], b[vote] = i, j
        outcome[vote] = _outcome(truth[i] - truth[j], rng)
        done = vote + 1
        if done in checks or done in boards:
            counts = bt.collapse_codes(names, a[:done], b[:done], outcome[:done])
            if done in checks:
                fitted = bt.to_ratings(bt.fit(counts), names)
                run.taus.append(float(kendalltau(fitted, truth).statistic))
            if done in boards:
                _read_board(counts, truth, index, seed, done, setup, run)
    per_model = np.bincount(a, minlength=setup.models) + np.bincount(b, minlength=setup.models)
    run.min_share = float(per_model.min() / setup.max_votes)
    return run


def _outcome(gap: float, rng: np.random.Generator) -> int:
    """A's win, B's win, tie or both bad, for a true rating gap (A − B).

    A tie (half of them "both bad") happens `TIE_RATE` of the time, but never more than
    twice the underdog's chance; wins take the rest so that A's expected score, ties as
    half a win, is exactly the Bradley–Terry chance — the convention the fit assumes,
    so the true ratings are what it estimates.
    """
    p = 1.0 / (1.0 + 10.0 ** (-gap / 400.0))
    tie = min(TIE_RATE, 2.0 * min(p, 1.0 - p))
    u = rng.random()
    if u < p - tie / 2.0:
        return 0
    if u < 1.0 - tie:
        return 1
    return 2 if u < 1.0 - tie / 2.0 else 3


def _read_board(
    counts: bt.Counts,
    truth: np.ndarray,
    index: dict[str, int],
    seed: int,
    done: int,
    setup: Setup,
    run: Run,
) -> None:
    board = bt.leaderboard(
        counts, rounds=setup.rounds, seed=seed + done, min_battles=setup.min_battles
    )
    ranked = [s for s in board if s.rank is not None] or board
    centre = float(np.mean([truth[index[s.model]] for s in ranked]))
    run.widths[done] = float(np.mean([s.upper - s.lower for s in board]))
    for s in board:
        true = truth[index[s.model]] - centre + bt.MEAN_RATING
        run.covered.append((s.battles, s.lower <= true <= s.upper))


@dataclass(frozen=True)
class Summary:
    label: str
    votes_to_tau: float
    votes_to_width: float
    coverage: float
    coverage_few: float
    """Models with fewer than 20 battles at the time."""
    coverage_some: float
    """Models with fewer than 50 battles at the time."""
    min_share: float
    tau_curve: list[float]


def _first_held(
    values: Sequence[float], steps: Sequence[int], ok: Callable[[float], bool]
) -> float:
    """The first step from which every later value is ok (inf if never)."""
    held = float("inf")
    for step, value in zip(reversed(steps), reversed(values), strict=True):
        if not ok(value):
            break
        held = step
    return held


def summarise(label: str, runs: list[Run], setup: Setup) -> Summary:
    steps = list(range(setup.checkpoint, setup.max_votes + 1, setup.checkpoint))
    tau = np.mean([r.taus for r in runs], axis=0).tolist()
    width_steps = sorted(runs[0].widths)
    widths = [float(np.mean([r.widths[s] for r in runs])) for s in width_steps]
    covered = [c for r in runs for c in r.covered]

    def share(limit: int) -> float:
        hits = [ok for battles, ok in covered if battles < limit]
        return float(np.mean(hits)) if hits else float("nan")

    return Summary(
        label,
        _first_held(tau, steps, lambda v: v >= TAU),
        _first_held(widths, width_steps, lambda v: v < WIDTH),
        share(10**9),
        share(20),
        share(50),
        float(np.mean([r.min_share for r in runs])),
        tau,
    )


def compare(setup: Setup, strategies: Mapping[str, Weigher] | None = None) -> list[Summary]:
    chosen = strategies or {"govbot": pair_weights, "uniform": uniform_weights}
    return [
        summarise(label, [simulate(weigher, seed, setup) for seed in range(setup.seeds)], setup)
        for label, weigher in chosen.items()
    ]


def format_summaries(summaries: list[Summary], setup: Setup) -> str:
    lines = [
        f"{setup.models} models (sd {SPREAD:g}), {TIE_RATE:.0%} ties, {setup.seeds} seeds, "
        f"up to {setup.max_votes:,} votes",
        f"{'pairing':<10}{'votes→tau≥0.9':>15}{'votes→width<40':>16}{'coverage':>10}"
        f"{'<20 battles':>13}{'<50 battles':>13}{'min share':>11}",
    ]
    for s in summaries:
        lines.append(
            f"{s.label:<10}{s.votes_to_tau:>15,.0f}{s.votes_to_width:>16,.0f}"
            f"{s.coverage:>10.3f}{s.coverage_few:>13.3f}{s.coverage_some:>13.3f}"
            f"{s.min_share:>11.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=Setup().seeds)
    parser.add_argument("--votes", type=int, default=Setup().max_votes)
    args = parser.parse_args()
    setup = Setup(seeds=args.seeds, max_votes=args.votes)
    print(format_summaries(compare(setup), setup))


if __name__ == "__main__":
    main()
