"""Integrity: what a sybil ring can take from reputation, and what the arena's pairing
and intervals are worth (the simulations in `bench.sim`, seeded and deterministic).

* Reputation: a 1,000-member community over 90 days (18,000 credits, ~1,800 votes,
  ratings and passed proposals) through govbot's own scoring, with a ring of S fresh
  accounts crediting itself as much as the daily cap allows and A honest members
  crediting a sybil now and then; share of all reputation and AUC per S × A, with the
  old score and plain PageRank beside it (`bench.sim.sybil`).
* Arena: 20 models (sd 125), 10% ties, 30 seeds, govbot's pairing against uniform
  pairing: votes to hold Kendall tau ≥ 0.9, votes to a mean 95% interval under 40
  points, interval coverage, smallest share of battles (`bench.sim.arena`).
"""

from __future__ import annotations

from bench.common import Row
from bench.sim import arena, sybil


def reputation_rows() -> list[Row]:
    report = sybil.run_report()
    rows = []
    for cell in report.grid:
        limit = "≤ 1%" if cell.attack_edges <= 10 else "≤ 5%"
        auc_goal = " (≥ 0.95)" if cell.attack_edges <= 10 else ""
        rows.append(
            Row(
                f"sybil ring S={cell.sybils} A={cell.attack_edges}: share",
                100 * cell.share,
                "%",
                f"{limit}, ≤ PageRank",
                f"AUC {cell.auc:.3f}{auc_goal}; before {100 * cell.legacy_share:.1f}% "
                f"AUC {cell.legacy_auc:.2f}; PageRank {100 * cell.pagerank_share:.1f}%",
            )
        )
    for cell in report.lurking:
        rows.append(
            Row(
                f"lurking ring S={cell.sybils} (31 days, no attack edge): share",
                100 * cell.share,
                "%",
                "≤ 0.5%",
                f"before {100 * cell.legacy_share:.1f}%; AUC {cell.auc:.3f}",
            )
        )
    for cell in report.adaptive:
        rows.append(
            Row(
                f"{cell.label} S={cell.sybils} A={cell.attack_edges}: share",
                100 * cell.share,
                "%",
                "≤ PageRank",
                f"AUC {cell.auc:.3f}; before {100 * cell.legacy_share:.1f}%; "
                f"PageRank {100 * cell.pagerank_share:.1f}%",
            )
        )
    rows.append(
        Row(
            "honest scores, attack-free: Spearman vs the old score",
            report.spearman,
            "",
            "≥ 0.9",
            f"honest total {report.honest_total:.2f}× the old",
        )
    )
    return rows


def arena_rows() -> list[Row]:
    setup = arena.Setup()
    ours, uniform = arena.compare(setup)
    return [
        Row(
            "arena votes to hold Kendall tau ≥ 0.9",
            ours.votes_to_tau,
            "votes",
            f"≤ {0.75 * uniform.votes_to_tau:,.0f} (uniform −25%)",
            f"uniform {uniform.votes_to_tau:,.0f}; Chatbot Arena paper: ~35% fewer, active",
        ),
        Row(
            "arena votes to mean 95% interval < 40 points",
            ours.votes_to_width,
            "votes",
            f"≤ {uniform.votes_to_width:,.0f} (uniform)",
            f"uniform {uniform.votes_to_width:,.0f}",
        ),
        Row(
            "arena 95% interval coverage, all models",
            ours.coverage,
            "",
            "≥ 0.95",
            f"uniform pairing {uniform.coverage:.3f}",
        ),
        Row(
            "arena 95% interval coverage, < 20 battles",
            ours.coverage_few,
            "",
            "≥ 0.95",
            f"< 50 battles {ours.coverage_some:.3f}; uniform {uniform.coverage_few:.3f}",
        ),
        Row(
            "arena smallest share of battles of any model",
            ours.min_share,
            "",
            "≥ 0.025 (floor)",
            f"uniform {uniform.min_share:.3f}",
        ),
    ]


def run() -> list[Row]:
    return reputation_rows() + arena_rows()


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.cells()))
