"""Bradley–Terry ratings with bootstrap and posterior intervals, on collapsed counts.

Why collapsed counts: the likelihood of a million battles depends only on how many
times each pair met and how each meeting ended, so FastChat's logistic regression on
duplicated rows (``compute_bt``) is the same maximisation over a few thousand cells.
Why Newton: with at most a few hundred models the Hessian (a weighted graph
Laplacian) is tiny, so exact Newton steps converge in a handful of iterations where
L-BFGS needs a hundred. Why a multinomial bootstrap on the cells: resampling battles
with replacement and then collapsing them gives exactly a multinomial draw on the
cell counts, so each round costs one ``numpy`` multinomial and two or three
warm-started Newton steps instead of a refit on a million rows.

Conventions (as FastChat's and the Chatbot Arena paper's):

* a tie (either kind) counts as half a win for each side;
* strengths are natural log-odds internally and shown on the Elo scale:
  ``rating = 1000 + 400 / ln(10) · strength`` with the mean rating at 1000, or shifted
  so one named model sits at a given value (``anchor=("mixtral-8x7b-instruct-v0.1",
  1114)`` reproduces FastChat's offset);
* the fit is the posterior mode under a normal prior on strengths (`PRIOR_SD`), which
  keeps a model with a handful of battles near the mean instead of at ±1,000;
* 95% intervals are the 2.5th and 97.5th percentiles of the bootstrap ratings, each
  round anchored the same way as the point estimate — widened, where it is wider, to
  the Laplace posterior interval (mode ± 1.96 · sd from the inverse Hessian), which a
  resample of five battles cannot give: the bootstrap only sees the data, the posterior
  also what the data cannot tell yet;
* only models with at least `min_battles` battles are ranked; the others are listed
  after them with `rank=None` ("not enough battles yet");
* rank = 1 + the number of ranked models whose lower bound is above this model's upper
  bound (the Arena's "statistically better than" rank).

`method="fastchat"` keeps FastChat's own computation (no prior, plain bootstrap
intervals) for numbers comparable with its leaderboards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from scipy.stats import norm

WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")
"""FastChat's `winner` vocabulary, in the column order of `Counts.cells`."""

ELO_SCALE = 400.0 / math.log(10.0)
MEAN_RATING = 1000.0
PRIOR_SD = 1.0
"""The prior on a model's strength: normal, mean 0, this sd in natural log-odds.

One log-odds is 174 rating points, so a model is a priori within ±340 points of the
mean 95% of the time — wider than real arenas spread (Chatbot Arena's sd is ~125), so
the prior never pulls a well-measured model, but a model that won its first five
battles rates about +130, not +1,400, and its interval says how little is known.
"""
DEFAULT_L2 = 1.0 / PRIOR_SD**2
"""The prior as the penalty ½·l2·‖s‖² on the log-likelihood (l2 = 1 / prior variance)."""

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Counts:
    """Battles collapsed by unordered pair: `cells[k] = [a wins, b wins, tie, both bad]`.

    `a[k] < b[k]` index into `models`; a battle shown as (b, a) is stored swapped, which
    the likelihood cannot tell apart.
    """

    models: tuple[str, ...]
    a: Ints
    b: Ints
    cells: NDArray[Any]

    @property
    def battles(self) -> int:
        return int(self.cells.sum())

    def per_model_battles(self) -> Ints:
        per_pair = self.cells.sum(axis=1)
        n = len(self.models)
        return np.bincount(self.a, per_pair, n).astype(np.int64) + np.bincount(
            self.b, per_pair, n
        ).astype(np.int64)

    def per_model_score(self) -> Floats:
        """Wins plus half the ties, per model (the numerator of the win rate)."""
        n = len(self.models)
        half = 0.5 * (self.cells[:, 2] + self.cells[:, 3])
        score_a = self.cells[:, 0] + half
        score_b = self.cells[:, 1] + half
        out = np.bincount(self.a, score_a, n) + np.bincount(self.b, score_b, n)
        return out.astype(np.float64)


def collapse_codes(
    models: Sequence[str], a: Ints, b: Ints, outcome: Ints, weights: Floats | None = None
) -> Counts:
    """Collapse integer-coded battles (`outcome` indexes `WINNERS`) into `Counts`.

    `weights` (one per battle) lets rater-weighted votes count fractionally; the cells
    are then rounded to whole battles only if every weight is 1.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    outcome = np.asarray(outcome, dtype=np.int64)
    if not (len(a) == len(b) == len(outcome)):
        raise ValueError("a, b and outcome must have the same length")
    if len(a) and (np.any(a == b)):
        raise ValueError("a battle needs two different models")
    if len(outcome) and (outcome.min() < 0 or outcome.max() > 3):
        raise ValueError("outcome codes are 0..3 (model_a, model_b, tie, tie (bothbad))")
    swap = a > b
    lo = np.where(swap, b, a)
    hi = np.where(swap, a, b)
    # a swapped battle's "a wins" is the stored pair's "b wins"
    out = np.where(swap & (outcome < 2), 1 - outcome, outcome)
    n = len(models)
    key = (lo * n + hi) * 4 + out
    if weights is None:
        flat = np.bincount(key, minlength=n * n * 4)
    else:
        flat = np.bincount(key, weights=np.asarray(weights, dtype=np.float64), minlength=n * n * 4)
    grid = flat.reshape(n * n, 4)
    present = np.flatnonzero(grid.sum(axis=1) > 0)
    cells = grid[present]
    return Counts(
        tuple(models),
        (present // n).astype(np.int64),
        (present % n).astype(np.int64),
        cells if weights is not None else cells.astype(np.int64),
    )


def collapse(
    model_a: Iterable[str],
    model_b: Iterable[str],
    winner: Iterable[str],
    weights: Iterable[float] | None = None,
) -> Counts:
    """Collapse battles in FastChat's columns (`winner` ∈ `WINNERS`) into `Counts`."""
    index: dict[str, int] = {}
    a = [index.setdefault(m, len(index)) for m in model_a]
    b = [index.setdefault(m, len(index)) for m in model_b]
    codes = {w: i for i, w in enumerate(WINNERS)}
    try:
        outcome = [codes[w] for w in winner]
    except KeyError as error:
        raise ValueError(f"unknown winner {error.args[0]!r}; expected one of {WINNERS}") from None
    order = sorted(index, key=index.__getitem__)
    w = None if weights is None else np.fromiter(weights, dtype=np.float64)
    return collapse_codes(
        order,
        np.asarray(a, dtype=np.int64),
        np.asarray(b, dtype=np.int64),
        np.asarray(outcome, dtype=np.int64),
        w,
    )


def from_pair_counts(
    models: Sequence[str], pairs: Sequence[Sequence[int]], counts: Sequence[Sequence[int]]
) -> Counts:
    """Counts from per-pair [win, loss, tie, both bad] rows (leaderbot's data format)."""
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    c = np.asarray(counts, dtype=np.int64).reshape(-1, 4)
    swap = p[:, 0] > p[:, 1]
    c = c.copy()
    c[swap, 0], c[swap, 1] = c[swap, 1], c[swap, 0].copy()
    lo = np.minimum(p[:, 0], p[:, 1])
    hi = np.maximum(p[:, 0], p[:, 1])
    n = len(models)
    key = lo * n + hi
    grid = np.zeros((n * n, 4), dtype=np.int64)
    np.add.at(grid, key, c)
    present = np.flatnonzero(grid.sum(axis=1) > 0)
    return Counts(tuple(models), present // n, present % n, grid[present])


def _pair_stats(cells: NDArray[np.generic]) -> tuple[Floats, Floats]:
    """(score of a, battles) per pair: ties as half a win."""
    c = np.asarray(cells, dtype=np.float64)
    total = c.sum(axis=-1)
    score = c[..., 0] + 0.5 * (c[..., 2] + c[..., 3])
    return score, total


def neg_log_likelihood(
    strength: Floats, a: Ints, b: Ints, score: Floats, total: Floats, l2: float = DEFAULT_L2
) -> float:
    """The penalised negative log-likelihood (FastChat's loss, collapsed)."""
    d = strength[a] - strength[b]
    ll = score * log_expit(d) + (total - score) * log_expit(-d)
    return float(-ll.sum() + 0.5 * l2 * float(strength @ strength))


def _newton(
    start: Floats,
    a: Ints,
    b: Ints,
    score: Floats,
    total: Floats,
    l2: float,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> Floats:
    """Damped Newton on the penalised log-likelihood, for a batch of data sets.

    `score`/`total` are (R, P) for R data sets over the same P pairs and `start` is
    (R, n). Each step solves R small (n × n) systems at once; a step that would not
    decrease the loss is halved (only ever needed far from the optimum).
    """
    x = start.copy()
    rounds, n = x.shape
    eye = np.eye(n)
    offsets = (np.arange(rounds) * n)[:, None]
    flat_a = (offsets + a[None, :]).ravel()
    flat_b = (offsets + b[None, :]).ravel()

    def loss(v: Floats) -> Floats:
        d = v[:, a] - v[:, b]
        return -(score * log_expit(d) + (total - score) * log_expit(-d)).sum(axis=1) + 0.5 * l2 * (
            v * v
        ).sum(axis=1)

    current = loss(x)
    for _ in range(max_iter):
        d = x[:, a] - x[:, b]
        p = expit(d)
        resid = score - total * p  # dℓ/dd per pair
        grad = (
            np.bincount(flat_b, resid.ravel(), rounds * n)
            - np.bincount(flat_a, resid.ravel(), rounds * n)
        ).reshape(rounds, n) + l2 * x
        v = total * p * (1.0 - p)
        hess = np.zeros((rounds, n, n))
        hess[:, a, b] = -v
        hess[:, b, a] = -v
        hess[:, np.arange(n), np.arange(n)] = -hess.sum(axis=2) + l2
        # l2 > 0 makes H positive definite; a model with no battles still gets l2 on
        # its diagonal, so the solve never fails.
        step = np.linalg.solve(hess + (1e-12 * eye if l2 == 0 else 0.0), grad[..., None])[..., 0]
        size = 1.0
        while True:
            trial = x - size * step
            after = loss(trial)
            worse = after > current + 1e-9 * np.abs(current)
            if not np.any(worse) or size < 1e-4:
                break
            size *= 0.5
        x = trial
        current = after
        if np.max(np.abs(size * step)) < tol:
            break
    return x


Method = Literal["newton", "fastchat"]


def _fit_fastchat(score: Floats, total: Floats, a: Ints, b: Ints, n: int) -> Floats:
    """FastChat's optimiser (L-BFGS-B from zero, base 10, gtol 1e-6, 100 iterations).

    It stops on scipy's default relative loss reduction, which on a million battles is
    reached before the exact optimum (≈1 rating point off for thin models); using the
    same optimiser on the collapsed loss reproduces FastChat's numbers to 1e-4 points.
    """
    alpha = math.log(10.0)

    def loss_and_grad(r: Floats) -> tuple[float, Floats]:
        d = alpha * (r[a] - r[b])
        loss = -(score * log_expit(d) + (total - score) * log_expit(-d)).sum()
        resid = -alpha * (score - total * expit(d))
        grad = np.bincount(a, resid, n) - np.bincount(b, resid, n)
        return float(loss), grad.astype(np.float64)

    result = minimize(
        loss_and_grad,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 100, "gtol": 1e-6},
    )
    r = np.asarray(result.x, dtype=np.float64) * alpha
    return r - r.mean()


def fit(
    counts: Counts, *, l2: float = DEFAULT_L2, tol: float = 1e-10, method: Method = "newton"
) -> Floats:
    """Strengths (natural log-odds, mean zero) for every model.

    `newton` is the exact (penalised) maximum likelihood; `fastchat` runs FastChat's
    own optimiser and stopping rule, for numbers comparable with its leaderboards.
    """
    n = len(counts.models)
    if n == 0:
        return np.zeros(0)
    score, total = _pair_stats(counts.cells)
    if method == "fastchat":
        return _fit_fastchat(score, total, counts.a, counts.b, n)
    x = _newton(np.zeros((1, n)), counts.a, counts.b, score[None], total[None], l2, tol=tol)[0]
    return x - x.mean()


def bootstrap(
    counts: Counts,
    *,
    rounds: int = 100,
    seed: int | None = 0,
    l2: float = DEFAULT_L2,
    start: Floats | None = None,
    tol: float = 1e-8,
    method: Method = "newton",
) -> Floats:
    """Strengths of `rounds` multinomial resamples of the battles, shape (rounds, n).

    Every round draws all battles again with replacement (a multinomial on the cells)
    and is fitted warm-started from the full-data fit, all rounds in one batch.
    """
    n = len(counts.models)
    if rounds <= 0 or n == 0:
        return np.zeros((0, n))
    rng = np.random.default_rng(seed)
    flat = counts.cells.reshape(-1).astype(np.float64)
    total_battles = round(flat.sum())
    if total_battles == 0:
        return np.zeros((rounds, n))
    probs = flat / flat.sum()
    # (weighted votes: the cells hold fractional battles; resampling their rounded
    # total in the same proportions keeps the interval's width honest)
    draws = rng.multinomial(total_battles, probs, size=rounds).reshape(rounds, *counts.cells.shape)
    score, total = _pair_stats(draws)
    if method == "fastchat":
        fitted = [_fit_fastchat(score[r], total[r], counts.a, counts.b, n) for r in range(rounds)]
        return np.asarray(fitted)
    base = fit(counts, l2=l2) if start is None else start
    x = _chord(base, counts.a, counts.b, score, total, l2, tol=tol)
    return x - x.mean(axis=1, keepdims=True)


def _hessian(x: Floats, a: Ints, b: Ints, total: Floats, l2: float) -> Floats:
    n = len(x)
    p = expit(x[a] - x[b])
    v = total * p * (1.0 - p)
    hess = np.zeros((n, n))
    hess[a, b] = -v
    hess[b, a] = -v
    hess[np.arange(n), np.arange(n)] = -hess.sum(axis=1) + l2
    return hess


def _chord(
    base: Floats,
    a: Ints,
    b: Ints,
    score: Floats,
    total: Floats,
    l2: float,
    *,
    tol: float,
    max_iter: int = 30,
) -> Floats:
    """Fit many resamples at once, reusing the full-data Hessian (the chord method).

    A resample's Hessian differs from the full data's by sampling noise only, so
    Newton steps with the fixed, once-inverted Hessian converge in a few iterations;
    each costs one (rounds × n) · (n × n) product instead of `rounds` factorisations.
    Rounds that do not settle (tiny data, where resamples differ a lot) get full
    Newton with line search.
    """
    rounds, n = score.shape[0], len(base)
    mean_total = total.mean(axis=0)
    inverse = np.linalg.inv(_hessian(base, a, b, mean_total, l2) + 1e-12 * np.eye(n))
    offsets = (np.arange(rounds) * n)[:, None]
    flat_a = (offsets + a[None, :]).ravel()
    flat_b = (offsets + b[None, :]).ravel()

    def step(x: Floats) -> Floats:
        resid = score - total * expit(x[:, a] - x[:, b])
        grad = (
            np.bincount(flat_b, resid.ravel(), rounds * n)
            - np.bincount(flat_a, resid.ravel(), rounds * n)
        ).reshape(rounds, n) + l2 * x
        return np.asarray(grad @ inverse)

    settled = chord_steps(np.tile(base, (rounds, 1)), step, tol=tol, max_iter=max_iter)
    if settled is not None:
        return settled
    return _newton(np.tile(base, (rounds, 1)), a, b, score, total, l2, tol=tol)


def chord_steps(
    start: Floats, step: Callable[[Floats], Floats], *, tol: float, max_iter: int
) -> Floats | None:
    """Iterate x ← x − step(x) (a Newton step with a fixed Hessian inverse) from `start`.

    The point once every step component is below `tol`; None when it diverges or has
    not settled after `max_iter` steps, so the caller can fall back to full Newton.
    """
    x = start
    for _ in range(max_iter):
        delta = step(x)
        x = x - delta
        if not np.all(np.isfinite(x)):
            return None
        if np.max(np.abs(delta)) < tol:
            return x
    return None


def to_ratings(
    strength: Floats,
    models: Sequence[str],
    anchor: tuple[str, float] | None = None,
    *,
    centre_on: Ints | None = None,
) -> Floats:
    """Elo-scale ratings: mean 1000, or shifted so `anchor[0]` rates `anchor[1]`.

    Works on one vector (n,) or a batch (R, n), each row anchored on its own. The mean
    is taken over `centre_on` (the listed models) when given, so a model with a single
    battle cannot drag every listed rating around.
    """
    s = np.asarray(strength, dtype=np.float64)
    if s.shape[-1] == 0:
        return s.copy()
    basis = s if centre_on is None or len(centre_on) == 0 else s[..., centre_on]
    ratings = MEAN_RATING + ELO_SCALE * (s - basis.mean(axis=-1, keepdims=True))
    if anchor is not None:
        name, value = anchor
        if name not in models:
            raise ValueError(f"anchor model {name!r} is not among the rated models")
        i = list(models).index(name)
        ratings = ratings + (value - ratings[..., i : i + 1])
    return ratings


@dataclass(frozen=True)
class Standing:
    """One model's line on the leaderboard (`rank` None: not enough battles yet)."""

    model: str
    rating: float
    lower: float
    upper: float
    rank: int | None
    battles: int
    win_rate: float

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "rating": round(self.rating, 2),
            "lower": round(self.lower, 2),
            "upper": round(self.upper, 2),
            "rank": self.rank,
            "battles": self.battles,
            "win_rate": round(self.win_rate, 4),
        }


def ranks(lower: Floats, upper: Floats) -> Ints:
    """1 + how many models' lower bounds are above each model's upper bound."""
    return 1 + (lower[None, :] > upper[:, None]).sum(axis=1)


def posterior_sd(
    strength: Floats,
    counts: Counts,
    *,
    l2: float = DEFAULT_L2,
    centre_on: Ints | None = None,
    anchor: int | None = None,
) -> Floats:
    """Laplace posterior sd of each model's rating (Elo scale), as the board shows it.

    The posterior covariance of the strengths is the inverse Hessian of the penalised
    negative log-likelihood at the mode; a rating is a strength minus the mean of the
    `centre_on` models (or minus the `anchor` model's), so its variance is that of the
    difference.
    """
    n = len(counts.models)
    _, total = _pair_stats(counts.cells)
    cov = np.linalg.inv(_hessian(strength, counts.a, counts.b, total, max(l2, 1e-12)))
    shift = np.zeros((n, n))
    if anchor is not None:
        shift[:, anchor] = 1.0
    else:
        basis = np.arange(n) if centre_on is None or len(centre_on) == 0 else centre_on
        shift[:, basis] = 1.0 / len(basis)
    transform = np.eye(n) - shift
    var = np.einsum("ij,jk,ik->i", transform, cov, transform)
    return np.asarray(ELO_SCALE * np.sqrt(np.maximum(var, 0.0)), dtype=np.float64)


def leaderboard(
    counts: Counts,
    *,
    rounds: int = 100,
    min_battles: int = 0,
    anchor: tuple[str, float] | None = None,
    seed: int | None = 0,
    l2: float = DEFAULT_L2,
    level: float = 0.95,
    method: Method = "newton",
) -> list[Standing]:
    """Every model that battled, best first: ratings, intervals, ranks and win rates.

    Every model takes part in the fit (its battles inform the others); models with at
    least `min_battles` battles are ranked and come first, the others follow with
    `rank=None`. With `rounds=0` the interval is the posterior one alone (or, for
    `fastchat`, collapses to the point estimate).
    """
    battles = counts.per_model_battles()
    score = counts.per_model_score()
    listed = np.flatnonzero(battles >= 1)
    if len(listed) == 0:
        return []
    ranked = listed[battles[listed] >= min_battles]
    centre = ranked if len(ranked) else listed
    strengths = fit(counts, l2=l2, method=method)
    ratings = to_ratings(strengths, counts.models, anchor, centre_on=centre)
    tail = (1.0 - level) / 2.0 * 100.0
    if rounds > 0:
        samples = to_ratings(
            bootstrap(counts, rounds=rounds, seed=seed, l2=l2, start=strengths, method=method),
            counts.models,
            anchor,
            centre_on=centre,
        )
        lower, upper = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    else:
        lower = upper = ratings
    if method == "newton":
        z = float(norm.ppf(1.0 - tail / 100.0))
        anchor_index = None if anchor is None else list(counts.models).index(anchor[0])
        sd = posterior_sd(strengths, counts, l2=l2, centre_on=centre, anchor=anchor_index)
        lower = np.minimum(lower, ratings - z * sd)
        upper = np.maximum(upper, ratings + z * sd)
    rank = dict(zip(ranked.tolist(), ranks(lower[ranked], upper[ranked]).tolist(), strict=True))
    out = [
        Standing(
            counts.models[i],
            float(ratings[i]),
            float(lower[i]),
            float(upper[i]),
            rank.get(int(i)),
            int(battles[i]),
            float(score[i] / battles[i]),
        )
        for i in listed
    ]
    out.sort(key=lambda s: (s.rank is None, -s.rating, s.model))
    return out
