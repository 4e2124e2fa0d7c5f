"""What a sybil ring can take: govbot's score on a seeded community under attack.

`python -m bench.sim.sybil` prints, for rings of S fresh accounts with A attack edges
(see `bench.sim.community`), the ring's share of all reputation and the AUC with which
honest members rank above sybils — govbot's score now, the score it shipped before
(`bench.sim.legacy`), and plain unseeded PageRank's share of the walk as the yardstick
— then a ring that lurks past any age rule before crediting itself, adaptive variants
(a funnel, a ring that credits lightly to look normal, a ring flooding honest members
with credits) and how far honest members' scores moved (Spearman against the old
score on the attack-free community).

The scores come from govbot's own `handlers.reputation.score.compute`, fed the way the
reputation service feeds it: the ledger's columns, the admins as marked seeds.

AUC is P(honest score > sybil score) + ½ P(equal), over honest members who received at
least one credit (a member who only ever gave has a score of 0 under any rule and
cannot be ranked) against every sybil, with scores compared to the hundredth.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata, spearmanr

from bench.sim.community import DAY, Attack, Community, Shape, attacked, honest_community
from bench.sim.legacy import legacy_scores
from handlers.reputation.pagerank import trust_rank
from handlers.reputation.policy import ReputationPolicy
from handlers.reputation.score import Ledger, Params, compute

Scorer = Callable[[Community], dict[int, float]]
SIZES = (10, 50, 200)
EDGES = (0, 10, 50)
DEFAULT_SHAPE = Shape()


def govbot_scores(community: Community, params: Params | None = None) -> dict[int, float]:
    """Member id → score from govbot's compute (default settings unless given)."""
    ledger = Ledger.from_columns(
        community.giver, community.receiver, community.kind, community.weight, community.at
    )
    seeds = np.asarray(community.admins, dtype=np.int64)
    members = np.asarray(sorted(community.first_seen), dtype=np.int64)
    used = Params.of(ReputationPolicy()) if params is None else params
    scores = compute(ledger, seeds, community.now, used, extra_ids=members)
    return dict(zip(scores.ids.tolist(), scores.score.tolist(), strict=True))


def pagerank_scores(community: Community) -> dict[int, float]:
    """Plain PageRank (restart uniform over everyone) over the same decayed credits."""
    ids = sorted(community.first_seen)
    index = {m: i for i, m in enumerate(ids)}
    at = np.asarray(community.at)
    decayed = np.asarray(community.weight) * np.exp2(-(community.now - at) / (90.0 * DAY))
    member = np.asarray([g is not None for g in community.giver])
    src = np.asarray([index[g] for g in community.giver if g is not None], dtype=np.int64)
    dst = np.asarray([index[r] for r in np.asarray(community.receiver)[member]], dtype=np.int64)
    standing = trust_rank(len(ids), src, dst, decayed[member], np.zeros(0, np.int64))
    return {m: float(standing[index[m]]) for m in ids}


def ring_share(scores: dict[int, float], community: Community) -> float:
    total = sum(scores.values())
    return sum(scores.get(s, 0.0) for s in community.sybils) / total if total else 0.0


def auc(scores: dict[int, float], community: Community) -> float:
    """P(honest > sybil) + ½ P(tie), scores to the hundredth (see the module text)."""
    credited = set(community.receiver)
    honest = np.round([scores.get(m, 0.0) for m in community.honest if m in credited], 2)
    sybil = np.round([scores.get(s, 0.0) for s in community.sybils], 2)
    if not len(honest) or not len(sybil):
        return float("nan")
    ranks = rankdata(np.concatenate([honest, sybil]))
    above = ranks[: len(honest)].sum() - len(honest) * (len(honest) + 1) / 2
    return float(above / (len(honest) * len(sybil)))


def spearman(a: dict[int, float], b: dict[int, float], members: list[int]) -> float:
    result = spearmanr([a.get(m, 0.0) for m in members], [b.get(m, 0.0) for m in members])
    return float(result.statistic)


@dataclass(frozen=True)
class Cell:
    """One attack, measured three ways."""

    label: str
    sybils: int
    attack_edges: int
    share: float
    auc: float
    legacy_share: float
    legacy_auc: float
    pagerank_share: float


@dataclass(frozen=True)
class Report:
    grid: list[Cell]
    lurking: list[Cell]
    adaptive: list[Cell]
    spearman: float
    honest_total: float
    """Honest members' total score, new over old, on the attack-free community."""


def measure(label: str, community: Community, scorer: Scorer = govbot_scores) -> Cell:
    ours = scorer(community)
    old = legacy_scores(community)
    return Cell(
        label,
        len(community.sybils),
        0,
        ring_share(ours, community),
        auc(ours, community),
        ring_share(old, community),
        auc(old, community),
        ring_share(pagerank_scores(community), community),
    )


def run_report(
    shape: Shape = DEFAULT_SHAPE,
    seed: int = 0,
    sizes: tuple[int, ...] = SIZES,
    edges: tuple[int, ...] = EDGES,
    *,
    adaptive: bool = True,
    scorer: Scorer = govbot_scores,
) -> Report:
    base = honest_community(shape, seed)
    ours, old = scorer(base), legacy_scores(base)
    grid = []
    for s in sizes:
        for a in edges:
            cell = measure("ring", attacked(base, Attack(sybils=s, attack_edges=a), seed), scorer)
            grid.append(_with_edges(cell, a))
    lurking = [
        measure(
            "lurking 31 days",
            attacked(
                base,
                Attack(sybils=s, attack_edges=0, joins_day=29.0, credits_from_day=60.0),
                seed,
            ),
            scorer,
        )
        for s in sizes
    ]
    variants = []
    if adaptive:
        middle = sizes[len(sizes) // 2]
        for pattern in ("funnel", "light"):
            for a in edges[1:]:
                ring = attacked(base, Attack(middle, a, pattern=pattern), seed)
                variants.append(_with_edges(measure(pattern, ring, scorer), a))
        flood = attacked(base, Attack(middle, 0, flood=50), seed)
        variants.append(measure("flooding top 50", flood, scorer))
    honest = base.honest
    total = sum(ours[m] for m in honest) / max(sum(old[m] for m in honest), 1e-12)
    return Report(grid, lurking, variants, spearman(ours, old, honest), total)


def _with_edges(cell: Cell, edges: int) -> Cell:
    return Cell(
        cell.label,
        cell.sybils,
        edges,
        cell.share,
        cell.auc,
        cell.legacy_share,
        cell.legacy_auc,
        cell.pagerank_share,
    )


def format_report(report: Report) -> str:
    lines = [
        "ring share of all reputation / AUC (honest ranked above sybil); before → now; "
        "plain PageRank's share",
        f"{'attack':<18}{'S':>5}{'A':>5}  {'share before → now':>22}  {'AUC before → now':>18}"
        f"  {'PageRank':>9}",
    ]
    for cell in report.grid + report.lurking + report.adaptive:
        lines.append(
            f"{cell.label:<18}{cell.sybils:>5}{cell.attack_edges:>5}  "
            f"{100 * cell.legacy_share:>9.2f}% → {100 * cell.share:>6.3f}%  "
            f"{cell.legacy_auc:>7.3f} → {cell.auc:>6.3f}  {100 * cell.pagerank_share:>8.2f}%"
        )
    lines.append(
        f"honest members, attack-free: Spearman vs the old score {report.spearman:.3f}; "
        f"total score {report.honest_total:.2f}× the old"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=Shape().members)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scale = args.members / Shape().members
    shape = Shape(
        members=args.members,
        credits=round(Shape().credits * scale),
        voters_per_proposal=max(5, round(Shape().voters_per_proposal * scale)),
    )
    print(format_report(run_report(shape, args.seed)))


if __name__ == "__main__":
    main()
