"""Style-controlled arena fit on the 1.67 M Chatbot Arena battles, beside FastChat's.

Data: the battles of bench/arena_bench.py (the leaderbot 0.4.3 wheel's real Chatbot
Arena counts, expanded to 1,670,250 rows in FastChat's columns) with *generated* style
counts: each model gets a typical answer length and markdown habit, each battle draws
both outputs' token, header, list and bold counts around them (seeded). The outcomes
are the real ones.

Timed, ours: the counts → FastChat's covariates → sort by pair → Newton fit + 100
bootstrap rounds (chord steps) → intervals and ranks (handlers/arena/style_fit.py).
Timed, FastChat (bench/fastchat_rating_systems.py, vendored verbatim): one
`compute_style_control` on the same DataFrame (`conv_metadata` per row) — its three
calls (`preprocess_for_style`, `fit_contextual_bt`, `scale_and_offset`) made one by one,
so its raw parameters are at hand for the comparison — and
`compute_bootstrap_style_control` with `FASTCHAT_ROUNDS` rounds on 2 processes —
each of its rounds is a full L-BFGS refit on 1.67 M rows, so 100 rounds would take
the better part of an hour; its time for 100 rounds is that measurement × 100 /
`FASTCHAT_ROUNDS` (the rounds are independent and identical in cost).

Compared: β; the ratings, as 400 × the raw strengths (FastChat's scaled ratings are
shifted to put mixtral-8x7b-instruct-v0.1 at 1114, which is not a difference of fit),
over all models and over those with at least `THICK` battles; and both parameter
vectors under FastChat's own loss (`contextual_bt_loss_and_grad`). FastChat's L-BFGS
stops at 100 iterations: the thinly battled models' strengths, on which the loss is
flattest, are where it is still short of the optimum.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from typing import Any

import numpy as np

from bench.arena_bench import arena_counts, expand
from bench.common import Row
from handlers.arena import style, style_fit

ROUNDS = 100
FASTCHAT_ROUNDS = int(os.environ.get("GOVBOT_BENCH_FASTCHAT_ROUNDS", "4"))
SEED = 11
THICK = 10_000  # battles a model needs for the "well-measured models" figure
BASELINE = ("mixtral-8x7b-instruct-v0.1", 1114.0)  # FastChat's scale_and_offset anchor


def generated_counts(
    model_a: list[str], model_b: list[str], winner: list[str], seed: int = SEED
) -> np.ndarray:
    """(battles, 8) style counts: A's tokens, headers, lists, bold, then B's.

    The winning side's answer is drawn 30% longer, so the data carry a length effect
    the fit has to find (as real arena votes do).
    """
    rng = np.random.default_rng(seed)
    names = sorted(set(model_a) | set(model_b))
    index = {m: i for i, m in enumerate(names)}
    a = np.fromiter((index[m] for m in model_a), np.int64, len(model_a))
    b = np.fromiter((index[m] for m in model_b), np.int64, len(model_b))
    length = rng.uniform(120, 700, len(names))
    markdown = rng.uniform(0.0, 4.0, (len(names), 3))
    won = np.asarray(winner, dtype=object)
    out = np.zeros((len(a), 8), dtype=np.int64)
    for offset, who, side in ((0, a, "model_a"), (4, b, "model_b")):
        boost = np.where(won == side, 1.3, 1.0)
        out[:, offset] = np.round(boost * length[who] * rng.lognormal(0.0, 0.5, len(who)))
        out[:, offset + 1 : offset + 4] = rng.poisson(markdown[who])
    return out


def _frame(model_a: list[str], model_b: list[str], winner: list[str], counts: np.ndarray) -> Any:
    import pandas as pd

    keys = (*(t.format("a") for t in style.ELEMENTS), *(t.format("b") for t in style.ELEMENTS))
    metas = [dict(zip(keys, row, strict=True)) for row in counts.tolist()]
    return pd.DataFrame(
        {"model_a": model_a, "model_b": model_b, "winner": winner, "conv_metadata": metas}
    )


def ours(model_a: list[str], model_b: list[str], winner: list[str], counts: np.ndarray):  # type: ignore[no-untyped-def]
    x = style.features_from_counts(counts.astype(np.float64))
    data = style_fit.prepare_named(model_a, model_b, winner, x)
    return data, style_fit.leaderboard(data, rounds=ROUNDS, seed=0)


def run() -> list[Row]:
    from bench import fastchat_rating_systems as fastchat

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    model_a, model_b, winner = expand(arena_counts())
    counts = generated_counts(model_a, model_b, winner)
    start = time.perf_counter()
    data, board = ours(model_a, model_b, winner, counts)
    seconds = time.perf_counter() - start
    theta = style_fit.fit(data)

    frame = _frame(model_a, model_b, winner, counts)
    start = time.perf_counter()
    matchups, features, outcomes, their_models = fastchat.preprocess_for_style(frame)
    raw = fastchat.fit_contextual_bt(matchups, features, outcomes, models=their_models)
    their_n = len(their_models)
    fastchat.scale_and_offset(raw[:their_n], their_models, 400.0, 1000.0)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fastchat.compute_bootstrap_style_control(frame, FASTCHAT_ROUNDS, num_cpu=2)
    boot_seconds = (time.perf_counter() - start) * ROUNDS / FASTCHAT_ROUNDS
    fastchat_total = fit_seconds + boot_seconds

    n = len(data.models)
    their_params = raw[their_n:]
    beta_gap = float(np.max(np.abs(board.coefficients - their_params)))
    # ours in FastChat's model order, so both go through its loss and its scaling
    order = [data.models.index(m) for m in their_models]
    mine = np.r_[theta[:n][order], theta[n:]]
    gaps = 400.0 * np.abs(mine[:their_n] - raw[:their_n])
    rating_gap = float(gaps.max())
    thick = data.per_model_battles()[order] >= THICK
    thick_gap = float(gaps[thick].max()) if thick.any() else math.nan
    worst = their_models[int(np.argmax(gaps))]
    worst_battles = int(data.per_model_battles()[data.models.index(worst)])

    def fastchat_loss(params: np.ndarray) -> float:
        value, _ = fastchat.contextual_bt_loss_and_grad(
            params, their_n, matchups, features, outcomes, math.log(10.0), 0.5, 0.25
        )
        return float(value)

    their_loss, our_loss = fastchat_loss(raw), fastchat_loss(mine)
    shift = BASELINE[1] - (1000.0 + 400.0 * raw[their_models.index(BASELINE[0])])
    label = f"{len(model_a):,} battles, generated style"
    return [
        Row(
            f"arena style-controlled fit + {ROUNDS} bootstrap, {label}",
            seconds,
            "s",
            f"≤ {0.2 * fastchat_total:.0f} s (0.2× FastChat)",
            f"FastChat compute_style_control {fit_seconds:.1f} s + compute_bootstrap_style_"
            f"control ≈ {boot_seconds:.0f} s (timed {FASTCHAT_ROUNDS} rounds on 2 CPUs, "
            f"× {ROUNDS // max(FASTCHAT_ROUNDS, 1)}); ratio {seconds / fastchat_total:.3f}×",
        ),
        Row(
            "arena style coefficients max |Δβ| vs FastChat",
            beta_gap,
            "",
            "≤ 1e-3",
            f"β = {', '.join(f'{v:+.4f}' for v in theta[n:])} (length, headers, lists, bold)",
        ),
        Row(
            "arena style-controlled ratings max |Δ| vs FastChat, all models",
            rating_gap,
            "pts",
            "(see the next rows)",
            f"largest for {worst} ({worst_battles:,} battles); 400 × raw strengths "
            f"(FastChat's table adds {shift:+.1f} pts to all to put {BASELINE[0]} at "
            f"{BASELINE[1]:.0f})",
        ),
        Row(
            f"arena style-controlled ratings max |Δ| vs FastChat, models ≥ {THICK:,} battles",
            thick_gap,
            "pts",
            "≤ 1",
            f"{int(thick.sum())} of {their_n} models",
        ),
        Row(
            "arena style fit: FastChat's final loss − ours (its own loss function)",
            their_loss - our_loss,
            "nats",
            "≥ 0 (ours at the optimum)",
            f"FastChat's L-BFGS (maxiter 100) stops at {their_loss:,.3f}, our Newton fit "
            f"reaches {our_loss:,.3f}",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.cells()))
