"""Stored ratings as battle rows, and the leaderboard's text and chart (chat, CLI, web)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from handlers.arena import bt
from handlers.arena.battles import WINNER_OF_CHOICE, BattleRow
from storage import Storage
from storage.repos.arena import RatedBattle


async def stored_rows(
    storage: Storage, community_id: int | None
) -> tuple[list[BattleRow], list[RatedBattle]]:
    """Every rating of every revealed battle as a FastChat battle row."""
    rated = await storage.arena.rated(community_id)
    rows = [
        BattleRow(
            r.model_a,
            r.model_b,
            WINNER_OF_CHOICE[r.choice],
            r.judge,
            r.cast_at,
            r.style,
            r.categories,
            f"govbot-{r.community_id}-{r.battle_id}",
        )
        for r in rated
    ]
    return rows, rated


def board_text(standings: list[bt.Standing], *, title: str = "Arena leaderboard") -> str:
    lines = [f"{title} (Bradley–Terry, Elo scale, 95% intervals):"]
    for s in standings:
        line = (
            f"{s.model} {s.rating:.0f} (+{s.upper - s.rating:.0f}/−{s.rating - s.lower:.0f}) · "
            f"{s.battles} battles · win rate {s.win_rate:.0%}"
        )
        if s.rank is None:
            lines.append(f" –. {line} · not enough battles yet to rank")
        else:
            lines.append(f"{s.rank:>2}. {line}")
    lines.append("Rank 1 + models clearly ahead; ties count half a win.")
    return "\n".join(lines)


def board_chart(path: Path, standings: list[bt.Standing]) -> Path:
    """Ratings as points with their 95% intervals, best at the top."""
    path.parent.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
    height = 1.4 + 0.4 * len(standings)
    fig, ax = plt.subplots(figsize=(7, height), dpi=100)
    try:
        positions = list(range(len(standings)))[::-1]
        for ranked, colour in ((True, "#1565c0"), (False, "#b0bec5")):
            shown = [
                (y, s)
                for y, s in zip(positions, standings, strict=True)
                if (s.rank is not None) == ranked
            ]
            if not shown:
                continue
            ax.errorbar(
                [s.rating for _, s in shown],
                [y for y, _ in shown],
                xerr=[
                    [s.rating - s.lower for _, s in shown],
                    [s.upper - s.rating for _, s in shown],
                ],
                fmt="o",
                color=colour,
                ecolor="#90a4ae",
                capsize=4,
            )
        labels = [f"{'–' if s.rank is None else s.rank}. {s.model[:36]}" for s in standings]
        ax.set_yticks(positions, labels)
        ax.axvline(1000, color="#cfd8dc", linewidth=1, zorder=0)
        ax.set_xlabel("rating (Elo scale, 95% interval)")
        ax.set_title("Arena leaderboard", fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
