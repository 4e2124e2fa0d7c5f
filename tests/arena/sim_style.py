"""Simulated arenas with planted biases, shared by the style and rater tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from handlers.arena import bt

MODELS = ("honest-large", "verbose-small", "mid", "base")
TRUE_STRENGTH = np.array([0.6, 0.0, 0.3, -0.2])
"""True order: honest-large > mid > verbose-small > base (natural log-odds)."""
MEDIAN_TOKENS = np.array([150, 600, 200, 180])
LENGTH_BIAS = 3.0
"""Voters' planted preference per unit of (len a − len b) / (len a + len b + 1)."""


def length_biased(battles: int, seed: int) -> dict[str, Any]:
    """Battles whose outcome depends on true strength plus a planted length preference.

    verbose-small writes four times longer answers, so an uncontrolled fit overrates it.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(MODELS), battles)
    b = (a + rng.integers(1, len(MODELS), battles)) % len(MODELS)
    length_a = np.round(MEDIAN_TOKENS[a] * rng.lognormal(0, 0.8, battles)).astype(int)
    length_b = np.round(MEDIAN_TOKENS[b] * rng.lognormal(0, 0.8, battles)).astype(int)
    metas = []
    for i in range(battles):
        meta: dict[str, Any] = {
            "sum_assistant_a_tokens": int(length_a[i]),
            "sum_assistant_b_tokens": int(length_b[i]),
        }
        for side in "ab":
            meta[f"header_count_{side}"] = {
                f"h{n}": int(n == 2) * int(rng.poisson(1)) for n in range(1, 7)
            }
            meta[f"list_count_{side}"] = {"ordered": int(rng.poisson(2)), "unordered": 0}
            meta[f"bold_count_{side}"] = {"**": int(rng.poisson(1)), "__": 0}
        metas.append(meta)
    ratio = (length_a - length_b) / (length_a + length_b + 1)
    p = 1.0 / (1.0 + np.exp(-(TRUE_STRENGTH[a] - TRUE_STRENGTH[b] + LENGTH_BIAS * ratio)))
    u = rng.random(battles)
    outcome = np.where(u < 0.9 * p, 0, np.where(u < 0.9, 1, 2))
    names = np.asarray(MODELS)
    return {
        "model_a": names[a].tolist(),
        "model_b": names[b].tolist(),
        "winner": np.asarray(bt.WINNERS)[outcome].tolist(),
        "conv_metadata": metas,
    }
