"""The epoch chart: the top recipients' amounts, stacked by pool (matplotlib, Agg)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from handlers.rewards.allocation import POOL_ORDER

COLOURS = {"contributors": "#2e7d32", "raters": "#1565c0", "models": "#ef6c00"}


def epoch_chart(
    path: Path,
    title: str,
    rows: Sequence[tuple[str, dict[str, float]]],
    unit: str,
) -> Path:
    """One horizontal bar per recipient (largest on top), one colour per pool."""
    path.parent.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
    height = 1.4 + 0.42 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(7, height), dpi=100)
    try:
        positions = list(range(len(rows)))[::-1]
        left = [0.0] * len(rows)
        for pool in POOL_ORDER:
            values = [parts.get(pool, 0.0) for _, parts in rows]
            if any(values):
                ax.barh(positions, values, left=left, color=COLOURS[pool], label=pool)
                left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions, [name[:32] for name, _ in rows])
        for pos, total in zip(positions, left, strict=True):
            ax.text(total, pos, f" {total:,.4g}", va="center", fontsize=9)
        ax.set_xlim(0, max(left, default=0) * 1.25 or 1)
        ax.set_xlabel(unit)
        ax.set_title(title[:80], fontsize=11)
        if rows:
            ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
