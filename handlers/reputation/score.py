"""The score: decayed credits, each worth its weight times the giver's trust.

For every counted, unretracted credit e from giver g to receiver r:

    worth(e) = weight(e) · ½^(age / half-life) · giving(g) · keep(r)

* giving(g) = trust(g) × g's budget (see `handlers.reputation.trust`). Trust comes from
  a seeded PageRank over the same decayed who-credits-whom graph, normalised by how
  much g trades with untrusted accounts: credits from members whom trusted members
  credited count in full; from accounts no trusted member ever credited, or that trade
  far more with such accounts than their support covers, about nothing. The budget
  caps what one member's giving is worth, by their support and by `giver_budget`.
* keep(r): the share of what r received that counts for r — 1 for everyone except
  accounts whose trade with untrusted accounts far exceeds their trusted support.
* Credits minted by the community (votes cast, proposals passed, battle ratings) are
  worth weight × giving(earner) × keep(earner): a vote counts as far as its voter's
  own credits would.

A member's score is the sum of the worth of credits they received, so the breakdown by
kind and by source adds up to the score exactly. The 30-day change is the score now
minus the score computed the same way as of 30 days ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from handlers.reputation.policy import KINDS, ReputationPolicy
from handlers.reputation.trust import Graph, TrustParams, member_trust

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
    trust: TrustParams = field(default_factory=TrustParams)

    @classmethod
    def of(cls, policy: ReputationPolicy) -> Params:
        return cls(
            policy.half_life_days,
            TrustParams(
                damping=policy.damping,
                giver_budget=policy.giver_budget,
                full_trust_support=policy.full_trust_support,
                giving_multiple=policy.giving_multiple,
                seed_min_givers=policy.seed_min_givers,
                seed_min_days=policy.seed_min_days,
            ),
        )


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
    eligible: NDArray[np.bool_],
    params: Params,
) -> _At:
    mask = ledger.at <= t
    gm, rm, km = g[mask], r[mask], ledger.kind[mask]
    decayed = ledger.weight[mask] * np.exp2(-(t - ledger.at[mask]) / (params.half_life_days * DAY))
    member = gm >= 0
    day = np.floor(ledger.at[mask][member] / DAY).astype(np.int64)
    graph = Graph(n, gm[member], rm[member], decayed[member], day)
    minted = np.bincount(rm[~member], weights=decayed[~member], minlength=n).astype(np.float64)
    trust = member_trust(graph, seeds, eligible, params.trust, minted)
    worth = decayed.copy()
    worth[member] *= trust.giving[graph.src]
    worth[~member] *= trust.giving[rm[~member]]  # minted: counts like the earner's own
    worth *= trust.keep[rm]
    k = len(KINDS)
    parts = np.bincount(rm * k + km, weights=worth, minlength=n * k).astype(np.float64)
    parts = parts.reshape(n, k)
    return _At(parts.sum(axis=1), trust.trust, parts, worth, mask)


def _ranks(score: NDArray[np.float64]) -> NDArray[np.int64]:
    """1 for the highest score; ties share the better rank."""
    ordered = np.sort(-score)
    return np.searchsorted(ordered, -score, side="left").astype(np.int64) + 1


def _top_sources(
    n: int, r: NDArray[np.int64], source: NDArray[np.int64], worth: NDArray[np.float64], top: int
) -> Sources:
    """The `top` largest sources of each receiver, as (receiver, source, worth) columns.

    Sources are member indexes, or n + kind code for community-minted credits. The sparse
    matrix sums duplicate (receiver, source) pairs in C; then `top` passes each take
    every row's largest remaining entry (the first of equals, so the lowest source) with
    one `maximum.reduceat` — linear, where sorting all entries by worth is not.
    """
    k = len(KINDS)
    matrix = sp.csr_matrix((worth, (r, source)), shape=(n, n + k))
    matrix.sum_duplicates()
    indptr = matrix.indptr
    data = matrix.data.astype(np.float64, copy=True)
    if len(data) == 0:
        empty = np.zeros(0, np.int64)
        return Sources(empty, empty, np.zeros(0))
    rows = np.repeat(np.arange(n), np.diff(indptr))
    starts = indptr[:-1][indptr[:-1] < indptr[1:]]
    row_slot = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(data))))
    found: list[NDArray[np.int64]] = []
    for _ in range(top):
        best = np.maximum.reduceat(data, starts)[row_slot]
        hits = np.flatnonzero((data == best) & (data > 0))
        if len(hits) == 0:
            break
        first = hits[np.r_[True, rows[hits][1:] != rows[hits][:-1]]]
        found.append(first)
        data[first] = -np.inf
    picked = np.concatenate(found) if found else np.zeros(0, np.int64)
    order = np.lexsort((np.repeat(np.arange(len(found)), [len(f) for f in found]), rows[picked]))
    picked = picked[order]
    return Sources(
        rows[picked].astype(np.int64),
        matrix.indices[picked].astype(np.int64),
        matrix.data[picked].astype(np.float64),
    )


def compute(
    ledger: Ledger,
    seed_ids: NDArray[np.int64],
    now: float,
    params: Params,
    *,
    extra_ids: NDArray[np.int64] | None = None,
    eligible_ids: NDArray[np.int64] | None = None,
) -> Scores:
    """Scores now (with breakdown and top sources) and the change over 30 days.

    `seed_ids` are the seeds the community marked (admins, seed roles); members earn
    seed status from the ledger itself. `eligible_ids`, when given, are the only
    members who may earn it (None: everyone).
    """
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
    if eligible_ids is None:
        eligible = np.ones(n, dtype=bool)
    else:
        eligible = np.zeros(n, dtype=bool)
        known = eligible_ids[(eligible_ids >= 0) & (eligible_ids <= top_id)]
        found = lookup[known]
        eligible[found[found >= 0]] = True
    now_at = _score_at(now, n, g, r, ledger, seeds, eligible, params)
    past = _score_at(now - 30 * DAY, n, g, r, ledger, seeds, eligible, params)
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
