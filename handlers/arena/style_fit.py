"""Style-controlled Bradley–Terry: FastChat's contextual BT, solved by Newton's method.

The model (FastChat's `fit_contextual_bt`): battle i between models a and b with style
covariates x_i (style.features) is won by a with probability

    p_i = σ(α·(r_a − r_b) + x_i·β),   α = ln 10,

ties count as y = ½ (either kind), and θ = (r, β) minimises

    L(θ) = −Σ_i w_i [y_i ln p_i + (1 − y_i) ln(1 − p_i)] + ½·λ·‖θ‖²,   λ = 0.5,

so β says how much each style difference moves the odds and r is the rating with that
explained away (rating = 1000 + 400·r, the mean is 1000 because λ centres r). w_i is 1
per battle, the bootstrap's resample count, times the rater weight when weighting is on.

Why Newton and not L-BFGS: θ has only models + 4 entries, so the exact Hessian
(α²·the battle graph's Laplacian, XᵀVX for the style block, and their cross terms) is a
tiny dense matrix, and Newton converges in a handful of passes over the battles where
L-BFGS takes up to 100 — and stops at scipy's relative-reduction rule before the
optimum on a million battles. Why battles sorted by pair: the rating part of every
logit is then a `repeat` of the per-pair differences and every per-model sum a
`reduceat` over contiguous runs, both much cheaper than gathers and scatters.
Bootstrap rounds reuse the full-data Hessian (the chord method, warm-started at the
full fit): a resample only moves θ by sampling noise, so 3–4 cheap gradient passes
settle it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, log_expit

from handlers.arena import bt

ALPHA = math.log(10.0)
REG = 0.5
"""FastChat's default regularisation for the non-duplicated battles (see its note)."""
SCALE = 400.0
INIT_RATING = 1000.0

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class StyleData:
    """Battles prepared for the fit: sorted by ordered pair, covariates standardised."""

    models: tuple[str, ...]
    pair_a: Ints  # per distinct ordered pair
    pair_b: Ints
    starts: Ints  # first battle of each pair in the sorted order
    sizes: Ints
    x: Floats  # (battles, k) in sorted order
    y: Floats  # 1, ½ or 0 for a
    order: Ints  # sorted position → original battle index

    @property
    def battles(self) -> int:
        return len(self.y)

    def per_model_battles(self, weights: Floats | None = None) -> Floats:
        w = np.ones(self.battles) if weights is None else weights[self.order]
        per_pair = np.add.reduceat(w, self.starts) if self.battles else np.zeros(0)
        n = len(self.models)
        out = np.bincount(self.pair_a, per_pair, n) + np.bincount(self.pair_b, per_pair, n)
        return np.asarray(out, dtype=np.float64)

    def per_model_score(self, weights: Floats | None = None) -> Floats:
        w = np.ones(self.battles) if weights is None else weights[self.order]
        won = np.add.reduceat(w * self.y, self.starts) if self.battles else np.zeros(0)
        lost = np.add.reduceat(w * (1.0 - self.y), self.starts) if self.battles else np.zeros(0)
        n = len(self.models)
        out = np.bincount(self.pair_a, won, n) + np.bincount(self.pair_b, lost, n)
        return np.asarray(out, dtype=np.float64)


def prepare(models: Sequence[str], a: Ints, b: Ints, outcome: Ints, x: Floats) -> StyleData:
    """Sort integer-coded battles (`outcome` indexes bt.WINNERS) by pair for the fit."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    outcome = np.asarray(outcome, dtype=np.int64)
    x = np.asarray(x, dtype=np.float64).reshape(len(a), -1)
    if len(a) and np.any(a == b):
        raise ValueError("a battle needs two different models")
    n = len(models)
    key = a * n + b
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]]) if len(a) else key
    sizes = np.diff(np.r_[starts, len(a)]).astype(np.int64)
    pair_key = sorted_key[starts]
    y = np.where(outcome == 0, 1.0, np.where(outcome == 1, 0.0, 0.5))[order]
    return StyleData(
        tuple(models),
        (pair_key // n).astype(np.int64),
        (pair_key % n).astype(np.int64),
        starts.astype(np.int64),
        sizes,
        np.ascontiguousarray(x[order]),
        y,
        order.astype(np.int64),
    )


def prepare_named(
    model_a: Sequence[str], model_b: Sequence[str], winner: Sequence[str], x: Floats
) -> StyleData:
    """`prepare` from FastChat's string columns (models indexed in order of appearance)."""
    index: dict[str, int] = {}
    a = np.fromiter((index.setdefault(m, len(index)) for m in model_a), np.int64, len(model_a))
    b = np.fromiter((index.setdefault(m, len(index)) for m in model_b), np.int64, len(model_b))
    codes = {w: i for i, w in enumerate(bt.WINNERS)}
    outcome = np.fromiter((codes[w] for w in winner), np.int64, len(winner))
    return prepare(sorted(index, key=index.__getitem__), a, b, outcome, x)


class _Pass:
    """One pass over the battles at θ: loss, gradient and (optionally) the Hessian."""

    def __init__(self, data: StyleData, w: Floats, reg: float) -> None:
        self.data = data
        self.w = w
        self.reg = reg
        self.n = len(data.models)

    def logits(self, theta: Floats) -> Floats:
        d = self.data
        diff = ALPHA * (theta[d.pair_a] - theta[d.pair_b])
        return np.repeat(diff, d.sizes) + d.x @ theta[self.n :]

    def loss(self, theta: Floats) -> float:
        z = self.logits(theta)
        y = self.data.y
        ll = self.w * (y * log_expit(z) + (1.0 - y) * log_expit(-z))
        return float(-ll.sum() + 0.5 * self.reg * float(theta @ theta))

    def gradient(self, theta: Floats, z: Floats | None = None) -> tuple[Floats, Floats]:
        d = self.data
        z = self.logits(theta) if z is None else z
        p = expit(z)
        e = self.w * (d.y - p)
        per_pair = np.add.reduceat(e, d.starts)
        grad = self.reg * theta
        grad[: self.n] -= ALPHA * (
            np.bincount(d.pair_a, per_pair, self.n) - np.bincount(d.pair_b, per_pair, self.n)
        )
        grad[self.n :] -= d.x.T @ e
        return grad, p

    def hessian(self, theta: Floats, p: Floats) -> Floats:
        d, n = self.data, self.n
        k = d.x.shape[1]
        v = self.w * p * (1.0 - p)
        h = np.zeros((n + k, n + k))
        v_pair = np.add.reduceat(v, d.starts)
        lap = np.zeros((n, n))
        np.add.at(lap, (d.pair_a, d.pair_b), -v_pair)
        lap = lap + lap.T
        lap[np.arange(n), np.arange(n)] = -lap.sum(axis=1)
        h[:n, :n] = ALPHA**2 * lap
        vx_pair = np.add.reduceat(v[:, None] * d.x, d.starts, axis=0)  # (pairs, k)
        cross = np.zeros((n, k))
        np.add.at(cross, d.pair_a, vx_pair)
        np.add.at(cross, d.pair_b, -vx_pair)
        h[:n, n:] = ALPHA * cross
        h[n:, :n] = ALPHA * cross.T
        h[n:, n:] = (d.x * v[:, None]).T @ d.x
        h[np.arange(n + k), np.arange(n + k)] += self.reg
        return h


def fit(
    data: StyleData,
    weights: Floats | None = None,
    *,
    reg: float = REG,
    start: Floats | None = None,
    tol: float = 1e-10,
    max_iter: int = 50,
) -> Floats:
    """θ = (r, β) minimising FastChat's contextual BT loss (Newton with step halving).

    `weights` are per battle in the original order (None: every battle counts once).
    """
    n, k = len(data.models), data.x.shape[1]
    w = np.ones(data.battles) if weights is None else np.asarray(weights, np.float64)[data.order]
    theta = np.zeros(n + k) if start is None else np.asarray(start, dtype=np.float64).copy()
    if data.battles == 0:
        return theta
    step_pass = _Pass(data, w, reg)
    current = step_pass.loss(theta)
    for _ in range(max_iter):
        grad, p = step_pass.gradient(theta)
        step = np.linalg.solve(step_pass.hessian(theta, p), grad)
        size = 1.0
        while True:
            trial = theta - size * step
            after = step_pass.loss(trial)
            if after <= current + 1e-12 * abs(current) or size < 1e-4:
                break
            size *= 0.5
        theta, current = trial, after
        if np.max(np.abs(size * step)) < tol:
            break
    return theta


def bootstrap(
    data: StyleData,
    *,
    rounds: int = 100,
    seed: int | None = 0,
    weights: Floats | None = None,
    reg: float = REG,
    start: Floats | None = None,
    tol: float = 1e-8,
    max_iter: int = 25,
) -> Floats:
    """θ of `rounds` resamples of the battles, shape (rounds, models + k).

    Each round: draw the battles again with replacement, then chord steps from the
    full-data fit with its Hessian (factorised once); a round that does not settle in
    `max_iter` steps is refitted with full Newton.
    """
    n, k = len(data.models), data.x.shape[1]
    if rounds <= 0 or data.battles == 0:
        return np.zeros((max(rounds, 0), n + k))
    base_w = np.ones(data.battles) if weights is None else np.asarray(weights, np.float64)
    base = fit(data, base_w, reg=reg) if start is None else start
    full = _Pass(data, base_w[data.order], reg)
    _, p = full.gradient(base)
    inverse = np.linalg.inv(full.hessian(base, p))
    rng = np.random.default_rng(seed)
    out = np.empty((rounds, n + k))
    for r in range(rounds):
        draw = np.bincount(rng.integers(0, data.battles, data.battles), minlength=data.battles)
        w = base_w * draw
        one = _Pass(data, w[data.order], reg)

        def step(theta: Floats, one: _Pass = one) -> Floats:
            return np.asarray(inverse @ one.gradient(theta)[0])

        theta = bt.chord_steps(base.copy(), step, tol=tol, max_iter=max_iter)
        out[r] = theta if theta is not None else fit(data, w, reg=reg, start=base, tol=tol)
    return out


def fastchat_ratings(
    theta: Floats, models: Sequence[str], anchor: tuple[str, float] | None = None
) -> Floats:
    """FastChat's `scale_and_offset`: 1000 + 400·r, shifted so `anchor` sits at its value."""
    n = len(models)
    ratings = INIT_RATING + SCALE * np.asarray(theta)[..., :n]
    if anchor is not None and anchor[0] in models:
        i = list(models).index(anchor[0])
        ratings = ratings + (anchor[1] - ratings[..., i : i + 1])
    return np.asarray(ratings, dtype=np.float64)


@dataclass(frozen=True)
class StyleBoard:
    """A style-controlled leaderboard and the style coefficients behind it."""

    standings: list[bt.Standing]
    coefficients: Floats  # β, one per style element
    lower: Floats  # bootstrap interval of β
    upper: Floats


def leaderboard(
    data: StyleData,
    *,
    weights: Floats | None = None,
    rounds: int = 100,
    min_battles: int = 0,
    anchor: tuple[str, float] | None = None,
    seed: int | None = 0,
    reg: float = REG,
    level: float = 0.95,
) -> StyleBoard:
    """Every model that battled, best first, with its style-controlled rating.

    Ranked models (≥ `min_battles`) first, as `bt.leaderboard`; intervals are the
    bootstrap percentiles, as FastChat's; the mean rating is 1000 over the ranked
    models unless `anchor` is given.
    """
    n, k = len(data.models), data.x.shape[1]
    battles = data.per_model_battles(weights)
    counted = data.per_model_battles()
    score = data.per_model_score(weights)
    listed = np.flatnonzero(counted >= 1)
    if len(listed) == 0:
        return StyleBoard([], np.zeros(k), np.zeros(k), np.zeros(k))
    ranked = listed[counted[listed] >= min_battles]
    centre = ranked if len(ranked) else listed
    theta = fit(data, weights, reg=reg)
    ratings = bt.to_ratings(ALPHA * theta[:n], data.models, anchor, centre_on=centre)
    tail = (1.0 - level) / 2.0 * 100.0
    if rounds > 0:
        samples = bootstrap(data, rounds=rounds, seed=seed, weights=weights, reg=reg, start=theta)
        boot = bt.to_ratings(ALPHA * samples[:, :n], data.models, anchor, centre_on=centre)
        lower, upper = np.percentile(boot, [tail, 100.0 - tail], axis=0)
        beta_lo, beta_hi = np.percentile(samples[:, n:], [tail, 100.0 - tail], axis=0)
    else:
        lower = upper = ratings
        beta_lo = beta_hi = theta[n:]
    rank = dict(zip(ranked.tolist(), bt.ranks(lower[ranked], upper[ranked]).tolist(), strict=True))
    out = [
        bt.Standing(
            data.models[i],
            float(ratings[i]),
            float(lower[i]),
            float(upper[i]),
            rank.get(int(i)),
            int(counted[i]),
            float(score[i] / battles[i]) if battles[i] > 0 else 0.0,
        )
        for i in listed
    ]
    out.sort(key=lambda s: (s.rank is None, -s.rating, s.model))
    return StyleBoard(out, theta[n:].copy(), np.asarray(beta_lo), np.asarray(beta_hi))
