"""Arena leaderboard speed and agreement with FastChat on the real Chatbot Arena counts.

Data: the `leaderbot` 0.4.3 wheel on PyPI ships `leaderbot/data/chatbotarena_20240814.json`
(per model pair, counts of [win, loss, tie, tie (bothbad)]). The wheel is downloaded
with pip into a cache folder on first use and the JSON is read straight from the zip;
nothing is committed. The counts are expanded into 1,670,250 battles in FastChat's
columns (`model_a`, `model_b`, `winner` as strings), and the timed path starts there,
as FastChat's does from its DataFrame: factorise the names, collapse to (a, b, outcome)
counts, one fit, 100 multinomial bootstrap rounds, intervals and ranks.

Anchor, measured in the same run: FastChat's own `compute_bt` +
`compute_bootstrap_bt(num_round=100)` (`bench/fastchat_rating_systems.py`, vendored
verbatim) on the same battles as a pandas DataFrame. Its ratings are anchored at
mixtral-8x7b-instruct-v0.1 = 1114; ours are anchored the same way before comparing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Row
from handlers.arena import bt

WHEEL = "leaderbot==0.4.3"
WHEEL_FILE = "leaderbot-0.4.3-py3-none-any.whl"
DATA = "leaderbot/data/chatbotarena_20240814.json"
ANCHOR = ("mixtral-8x7b-instruct-v0.1", 1114.0)
ROUNDS = 100
REPEATS = 3


def cache_dir() -> Path:
    return Path(os.environ.get("GOVBOT_BENCH_CACHE", Path(tempfile.gettempdir()) / "govbot-bench"))


def arena_counts() -> dict[str, Any]:
    """The leaderbot JSON, downloading the wheel with pip if it is not cached."""
    folder = cache_dir()
    wheel = folder / WHEEL_FILE
    if not wheel.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", folder],
            check=True,
        )
    with zipfile.ZipFile(wheel) as archive:
        data: dict[str, Any] = json.loads(archive.read(DATA))
    return data


def expand(data: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """One row per battle in FastChat's columns (model_a, model_b, winner)."""
    models: list[str] = data["models"]
    pairs = np.asarray(data["X"], dtype=np.int64)
    counts = np.asarray(data["Y"], dtype=np.int64)
    per_cell = counts.ravel()
    pair_of_cell = np.repeat(np.arange(len(pairs)), 4)
    outcome_of_cell = np.tile(np.arange(4), len(pairs))
    rows_pair = np.repeat(pair_of_cell, per_cell)
    rows_outcome = np.repeat(outcome_of_cell, per_cell)
    names = np.asarray(models, dtype=object)
    model_a = names[pairs[rows_pair, 0]].tolist()
    model_b = names[pairs[rows_pair, 1]].tolist()
    winner = np.asarray(bt.WINNERS, dtype=object)[rows_outcome].tolist()
    return model_a, model_b, winner


def _timed_leaderboard(
    model_a: list[str], model_b: list[str], winner: list[str], method: bt.Method
) -> tuple[float, list[bt.Standing]]:
    best = float("inf")
    board: list[bt.Standing] = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        counts = bt.collapse(model_a, model_b, winner)
        board = bt.leaderboard(counts, rounds=ROUNDS, anchor=ANCHOR, method=method)
        best = min(best, time.perf_counter() - start)
    return best, board


def fastchat_reference(
    model_a: list[str], model_b: list[str], winner: list[str]
) -> tuple[dict[str, float], float]:
    """FastChat's ratings and the time its fit + bootstrap take on the same battles."""
    import pandas as pd

    from bench import fastchat_rating_systems as fastchat

    battles = pd.DataFrame({"model_a": model_a, "model_b": model_b, "winner": winner})
    start = time.perf_counter()
    ratings = fastchat.compute_bt(battles)
    fastchat.compute_bootstrap_bt(battles, num_round=ROUNDS)
    seconds = time.perf_counter() - start
    return {str(model): float(rating) for model, rating in ratings.items()}, seconds


def _max_gap(board: list[bt.Standing], reference: dict[str, float]) -> float:
    ours = {s.model: s.rating for s in board}
    return max(abs(ours[m] - v) for m, v in reference.items())


def run() -> list[Row]:
    data = arena_counts()
    model_a, model_b, winner = expand(data)
    reference, reference_seconds = fastchat_reference(model_a, model_b, winner)
    seconds, exact = _timed_leaderboard(model_a, model_b, winner, "newton")
    fastchat_seconds, compatible = _timed_leaderboard(model_a, model_b, winner, "fastchat")
    counts = bt.collapse(model_a, model_b, winner)
    score, total = bt._pair_stats(counts.cells)
    names = list(counts.models)
    ref_strength = np.array([reference[m] for m in names]) / bt.ELO_SCALE
    ref_loss = bt.neg_log_likelihood(ref_strength, counts.a, counts.b, score, total, 0.0)
    exact_loss = bt.neg_log_likelihood(
        bt.fit(counts, l2=0.0), counts.a, counts.b, score, total, 0.0
    )
    n = f"{len(model_a):,} battles"
    return [
        Row(
            f"arena BT fit + {ROUNDS} bootstrap, {n}",
            seconds,
            "s",
            f"≤ {0.25 * reference_seconds:.1f} s (0.25× FastChat)",
            f"FastChat compute_bt + compute_bootstrap_bt, same run: {reference_seconds:.1f} s",
        ),
        Row(
            "arena BT max |Δ| vs FastChat (its optimiser)",
            _max_gap(compatible, reference),
            "pts",
            "≤ 0.5",
            f"method=fastchat; fit + {ROUNDS} rounds {fastchat_seconds:.2f} s",
        ),
        Row(
            "arena BT max |Δ| vs FastChat (exact MLE)",
            _max_gap(exact, reference),
            "pts",
            "(see note)",
            f"FastChat's L-BFGS stops early: its loss is {ref_loss - exact_loss:.3f} nats "
            "above the optimum",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.cells()))
