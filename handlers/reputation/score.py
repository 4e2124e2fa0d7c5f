"""The score: decayed credits, each worth its weight times the giver's trust.

For every counted, unretracted credit e from giver g to receiver r:

    worth(e) = weight(e) · ½^(age / half-life) · trust(g) · min(1, budget / given(g))

* trust(g) = min(1, standing(g) / standing a seed gets from the restart alone), where
  standing is the trust-seeded PageRank over the same decayed who-credits-whom graph:
  credits from trusted members count in full, from members nobody trusted reaches, ~0.
* given(g) is the decayed weight g gave in total; above `budget` each of g's credits
  is scaled down, so one member's giving is worth at most `budget`.
* Credits minted by the community (votes cast, proposals passed) have trust 1.

A member's score is the sum of the worth of credits they received, so the breakdown by
kind and by source adds up to the score exactly. The 30-day change is the score now
minus the score computed the same way as of 30 days ago.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from handlers.reputation.pagerank import trust_rank
from handlers.reputation.policy import KINDS, ReputationPolicy

DAY = 86400.0
SYSTEM = -1  # giver of credits minted by the community
KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Ledger:
    """Counted, live credits as columns; giver SYSTEM for community-minted credits."""

    giver: NDArray[np.int64]
    receiver: NDArray[np.int64]
    kind: NDArray[np.int64]
    weight: NDArray[np.float64]
    at: NDArray[np.float64]

    @classmethod
    def from_columns(
        cls,
        giver: list[int | None],
        receiver: list[int],
        kind: list[str],
        weight: list[float],
        at: list[float],
    ) -> Ledger:
        codes = np.fromiter((KIND_CODES.get(k, -1) for k in kind), np.int64, len(kind))
        keep = codes >= 0
        return cls(
            np.fromiter((SYSTEM if g is None else g for g in giver), np.int64, len(giver))[keep],
            np.asarray(receiver, dtype=np.int64)[keep],
            codes[keep],
            np.asarray(weight, dtype=np.float64)[keep],
            np.asarray(at, dtype=np.float64)[keep],
        )

    def __len__(self) -> int:
        return len(self.receiver)


@dataclass(frozen=True)
class Params:
    half_life_days: float = 90.0
    damping: float = 0.85
    giver_budget: float = 100.0

    @classmethod
    def of(cls, policy: ReputationPolicy) -> Params:
        return cls(policy.half_life_days, policy.damping, policy.giver_budget)


@dataclass(frozen=True)
class Sources:
    """Top sources per receiver, sorted by receiver then worth (descending)."""

    receiver: NDArray[np.int64]
    source: NDArray[np.int64]
    worth: NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    """Per member (aligned with `ids`): score, trust, rank, 30-day change, parts, sources."""

    ids: NDArray[np.int64]
    score: NDArray[np.float64]
    trust: NDArray[np.float64]
    rank: NDArray[np.int64]
    change_30d: NDArray[np.float64]
    parts: NDArray[np.float64]  # (members, kinds)
    sources: Sources

    def sources_of(self, index: int) -> list[tuple[str, float]]:
        """Top sources of one member: ("m:<member id>" or "k:<kind>", worth), best first."""
        lo, hi = np.searchsorted(self.sources.receiver, [index, index + 1])
        n = len(self.ids)
        found = []
        for who, total in zip(
            self.sources.source[lo:hi].tolist(), self.sources.worth[lo:hi].tolist(), strict=True
        ):
            found.append((f"k:{KINDS[who - n]}" if who >= n else f"m:{int(self.ids[who])}", total))
        return found

    def index_of(self, member_id: int) -> int | None:
        i = int(np.searchsorted(self.ids, member_id))
        return i if i < len(self.ids) and self.ids[i] == member_id else None


@dataclass(frozen=True)
class _At:
    score: NDArray[np.float64]
    trust: NDArray[np.float64]
    parts: NDArray[np.float64]
    worth: NDArray[np.float64]
    mask: NDArray[np.bool_]


def _score_at(
    t: float,
    n: int,
    g: NDArray[np.int64],
    r: NDArray[np.int64],
    ledger: Ledger,
    seeds: NDArray[np.int64],
    params: Params,
) -> _At:
    mask = ledger.at <= t
    gm, rm, km = g[mask], r[mask], ledger.kind[mask]
    decayed = ledger.weight[mask] * np.exp2(-(t - ledger.at[mask]) / (params.half_life_days * DAY))
    member = gm >= 0
    src, dst, w = gm[member], rm[member], decayed[member]
    standing = trust_rank(n, src, dst, w, seeds, damping=params.damping)
    reference = (1.0 - params.damping) / (len(seeds) if len(seeds) else max(n, 1))
    trust = np.minimum(1.0, standing / reference)
    given = np.bincount(src, weights=w, minlength=n)
    budget = np.ones(n)
    over = given > params.giver_budget
    budget[over] = params.giver_budget / given[over]
    worth = decayed.copy()
    worth[member] *= trust[src] * budget[src]
    k = len(KINDS)
    parts = np.bincount(rm * k + km, weights=worth, minlength=n * k).astype(np.float64)
    parts = parts.reshape(n, k)
    return _At(parts.sum(axis=1), trust, parts, worth, mask)


def _ranks(score: NDArray[np.float64]) -> NDArray[np.int64]:
    """1 for the highest score; ties share the better rank."""
    ordered = np.sort(-score)
    return np.searchsorted(ordered, -score, side="left").astype(np.int64) + 1


def _top_sources(
    n: int, r: NDArray[np.int64], source: NDArray[np.int64], worth: NDArray[np.float64], top: int
) -> Sources:
    """The `top` largest sources of each receiver, as (receiver, source, worth) columns.

    Sources are member indexes, or n + kind code for community-minted credits. The sparse
    matrix sums duplicate (receiver, source) pairs in C; two stable sorts (the second a
    radix sort on integers) order each receiver's sources by worth.
    """
    k = len(KINDS)
    matrix = sp.csr_matrix((worth, (r, source)), shape=(n, n + k))
    matrix.sum_duplicates()
    rows = np.repeat(np.arange(n), np.diff(matrix.indptr))
    by_worth = np.argsort(-matrix.data, kind="stable")
    order = by_worth[np.argsort(rows[by_worth], kind="stable")]
    rows, who, totals = rows[order], matrix.indices[order], matrix.data[order]
    position = np.arange(len(rows)) - matrix.indptr[rows]
    pick = (position < top) & (totals > 0)
    return Sources(rows[pick], who[pick].astype(np.int64), totals[pick])


def compute(
    ledger: Ledger,
    seed_ids: NDArray[np.int64],
    now: float,
    params: Params,
    *,
    extra_ids: NDArray[np.int64] | None = None,
) -> Scores:
    """Scores now (with breakdown and top sources) and the change over 30 days."""
    giver = ledger.giver
    arrays = [ledger.receiver, giver[giver >= 0], seed_ids]
    if extra_ids is not None:
        arrays.append(extra_ids)
    top_id = max((int(a.max()) for a in arrays if len(a)), default=-1)
    present = np.zeros(top_id + 1, dtype=bool)
    for a in arrays:
        present[a] = True
    ids = np.flatnonzero(present).astype(np.int64)
    n = len(ids)
    lookup = np.full(top_id + 1, -1, dtype=np.int64)  # member id → index, one gather
    lookup[ids] = np.arange(n)
    r = lookup[ledger.receiver]
    g = np.where(giver >= 0, lookup[np.maximum(giver, 0)], SYSTEM)
    seeds = lookup[seed_ids] if len(seed_ids) else np.zeros(0, np.int64)
    seeds = np.unique(seeds)
    now_at = _score_at(now, n, g, r, ledger, seeds, params)
    past = _score_at(now - 30 * DAY, n, g, r, ledger, seeds, params)
    rm, gm, km = r[now_at.mask], g[now_at.mask], ledger.kind[now_at.mask]
    source = np.where(gm >= 0, gm, n + km)
    sources = _top_sources(n, rm, source, now_at.worth, 3)
    return Scores(
        ids=ids.astype(np.int64),
        score=now_at.score,
        trust=now_at.trust,
        rank=_ranks(now_at.score),
        change_30d=now_at.score - past.score,
        parts=now_at.parts,
        sources=sources,
    )
