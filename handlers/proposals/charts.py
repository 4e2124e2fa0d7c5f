"""Bar charts of results as PNG files (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def bar_chart(
    path: Path,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    highlight: int | set[int] | None,
) -> Path:
    """Draw a horizontal bar per choice, the winners highlighted; returns the file path."""
    marked = highlight if isinstance(highlight, set) else {highlight}
    path.parent.mkdir(parents=True, exist_ok=True)
    # Fonts lack glyphs for some emoji in choice names; the bar is still right, so the
    # "Glyph missing" warning would only be noise on the console.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
    height = 1.2 + 0.45 * len(labels)
    fig, ax = plt.subplots(figsize=(7, height), dpi=100)
    try:
        colours = ["#2e7d32" if i in marked else "#90a4ae" for i in range(len(labels))]
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values, color=colours)
        ax.set_yticks(positions, [label[:40] for label in labels])
        total = sum(values) or 1.0
        for pos, value in zip(positions, values, strict=True):
            ax.text(value, pos, f" {value:g} ({value / total:.0%})", va="center", fontsize=9)
        ax.set_title(title[:80], fontsize=11)
        ax.set_xlim(0, max(values, default=0) * 1.25 or 1)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
