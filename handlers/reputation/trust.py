"""How much each member's credits count: seeded PageRank, normalised by activity.

The aim: a ring of accounts gains about nothing from crediting itself, however it is
wired, and what honest members fooled into crediting it now and then hand it stays
small. Three published ideas, combined:

* **Trust flows from seeds** (TrustRank; EigenTrust's pre-trusted peers): a personalised
  PageRank over the decayed who-credits-whom graph restarts at the seeds — admins,
  members with a seed role, and members who *earned* it: credited by at least
  `seed_min_givers` distinct trusted members on at least `seed_min_days` distinct days.
  Age never makes a seed. A member's *support* is the standing that reached them along
  credits (not by restarting), in units of credit weight: a credit of weight w from a
  typical seed brings w support.
* **Degree normalisation** (SybilRank, Cao et al., NSDI 2012, which divides trust by
  degree): a member's *activity* is the weight they trade with untrusted accounts —
  min(weight received, weight given to untrusted members), or for an account that
  gives far more to untrusted accounts than its support (a funnel into a ring) that
  giving / `UNTRUSTED_GIVING_MULTIPLE`. Trust is support per unit of activity, so a ring
  member, high on both, has almost none even when real members send it a little; and
  nobody can lower a member's trust by flooding them with credits, since activity never
  exceeds what the member themselves gave to untrusted accounts.
* **The walk follows only what counts, and giving is budgeted by support** (as in
  flow-based reputation, where what a set of accounts can hand out is bounded by what
  flows into it): the final walk follows a member's credits only as far as they count,
  so standing cannot pass through an account nobody trusts into the accounts it
  credits; and a member's credits (and minted credits) count in full up to
  `giving_multiple` × their support, never beyond `giver_budget`; seeds the community
  marked (admins, roles) give up to the budget.

Per member, all in [0, 1]:

* `trust` = min(1, support / max(COVER · activity, full_trust_support));
* `giving` = trust × min(1, budget / (weight given + minted)): the multiplier on every
  credit they give and every vote, rating or passed proposal credited to them;
* `keep` = min(1, support / (COVER · activity)), 1 with no activity: the share of what
  they received that counts for them, so an account trading thousands of units with
  untrusted accounts keeps only what its support covers.

With no seed at all (a community whose admins have not been seen yet) there is nothing
to defend against and everyone counts in full, within the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from handlers.reputation.pagerank import Walk

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

TRUSTED = 0.5
"""At or above this trust a member is trusted: may vouch for a seed, or become one."""
COVER = 0.5
"""Share of a member's activity with untrusted accounts their support must cover."""
UNTRUSTED_GIVING_MULTIPLE = 10.0
"""Giving to untrusted accounts beyond this × support counts as activity on its own."""
ROUGH_TOL = 1e-6
"""Convergence (L1) of the first walk, which only sorts members into trusted or not."""
FINE_TOL = 1e-9
"""Convergence (L1) of the final walk; its standing sums to 1."""


@dataclass(frozen=True)
class TrustParams:
    damping: float = 0.85
    giver_budget: float = 100.0
    full_trust_support: float = 2.5
    giving_multiple: float = 5.0
    seed_min_givers: int = 3
    seed_min_days: int = 3


@dataclass(frozen=True)
class Trust:
    """Per member: trust, the multiplier on what they give and mint, the share they
    keep of what they receive; and the seeds (marked and earned)."""

    trust: FloatArray
    giving: FloatArray
    keep: FloatArray
    seeds: IntArray


@dataclass(frozen=True)
class Graph:
    """Counted member-to-member credits, decayed, as parallel columns (day: UTC day)."""

    n: int
    src: IntArray
    dst: IntArray
    weight: FloatArray
    day: IntArray

    @property
    def received(self) -> FloatArray:
        return np.bincount(self.dst, weights=self.weight, minlength=self.n).astype(np.float64)

    @property
    def given(self) -> FloatArray:
        return np.bincount(self.src, weights=self.weight, minlength=self.n).astype(np.float64)


def member_trust(
    graph: Graph,
    marked: IntArray,
    eligible: BoolArray,
    params: TrustParams,
    minted: FloatArray | None = None,
) -> Trust:
    """Trust, giving multiplier and kept share of every member (see the module text).

    1. A walk from the marked seeds says who is trusted so far; members it trusts who
       were credited by enough trusted members on enough days become seeds too.
    2. A walk from all seeds follows each member's credits only as far as the first
       walk says they count; its support gives the final trust, budget and keep.

    `eligible` marks who may earn seed status; `minted` is the weight the community
    minted for each member (votes, ratings, passed proposals), which spends their
    budget like their own giving.
    """
    n = graph.n
    given, received = graph.given, graph.received
    spend = given if minted is None else given + minted
    if len(marked) == 0:
        ones = np.ones(n)
        return Trust(ones, _budget(spend, np.full(n, params.giver_budget)), ones, marked)
    walk = Walk(n, graph.src, graph.dst, graph.weight)
    d = params.damping
    support, x = _support(graph, walk, marked, marked, d, tol=ROUGH_TOL)
    everything = _activity(graph, None, received, given, support)
    trust = _trust(support, everything, marked, params)
    earned = _earned(graph, walk, trust, eligible, params)
    seeds = np.union1d(marked, earned).astype(np.int64)
    follow = trust * _budget(given, _cap(support, marked, params))
    support, _ = _support(graph, walk, seeds, marked, d, follow=follow, start=x, tol=FINE_TOL)
    trust = _trust(support, everything, marked, params)
    activity = _activity(graph, trust, received, given, support)
    trust = _trust(support, activity, marked, params)
    keep = np.ones(n)
    active = activity > 0
    keep[active] = np.minimum(1.0, support[active] / (COVER * activity[active]))
    keep[marked] = 1.0
    giving = trust * _budget(spend, _cap(support, marked, params))
    return Trust(trust, giving, keep, seeds)


def _support(
    graph: Graph,
    walk: Walk,
    seeds: IntArray,
    marked: IntArray,
    damping: float,
    *,
    follow: FloatArray | None = None,
    start: FloatArray | None = None,
    tol: float,
) -> tuple[FloatArray, FloatArray]:
    """Walk inflow per member in units of credit weight, and the walk's standing (to
    warm-start the next walk).

    The unit is what one unit of credit from a typical seed carries (the median over
    seeds of damping × inflow × followed share / weight given), so a credit of weight w
    from a typical seed brings w support. It depends only on what seeds received and
    gave, never on what anyone else was sent, so flooding members with credits cannot
    move it. Before any seed has been credited, the unit is what one unit of the marked
    seeds' own credit carries, restart included.
    """
    x = walk.rank(seeds, damping=damping, follow=follow, start=start, tol=tol)
    inflow = walk.inflow(x, damping=damping, follow=follow)
    given = graph.given
    followed = np.ones(graph.n) if follow is None else follow
    basis = seeds[(given[seeds] > 0) & (inflow[seeds] > 0) & (followed[seeds] > 0)]
    if len(basis):
        carry = damping * inflow[basis] * followed[basis] / given[basis]
        return inflow / float(np.median(carry)), x
    spent = float((given[marked] * followed[marked]).sum())
    carried = damping * float((x[marked] * followed[marked] * (given[marked] > 0)).sum())
    if spent <= 0 or carried <= 0:
        return np.zeros(graph.n), x
    return inflow / (carried / spent), x


def _activity(
    graph: Graph,
    trust: FloatArray | None,
    received: FloatArray,
    given: FloatArray,
    support: FloatArray,
) -> FloatArray:
    """Weight a member trades with untrusted accounts (everyone, before trust is known).

    min(received, given to untrusted members) — high for a ring member however the ring
    is wired, and out of anyone else's reach: flooding a member with credits cannot
    raise it above what they themselves gave to untrusted accounts. Giving to untrusted
    accounts far beyond one's support (a funnel into a ring) counts on its own.
    """
    if trust is None:
        to_untrusted = given
    else:
        lost = graph.weight * (1.0 - trust[graph.dst])
        to_untrusted = np.bincount(graph.src, weights=lost, minlength=graph.n).astype(np.float64)
    both = np.minimum(received, to_untrusted)
    beyond = np.maximum(to_untrusted - UNTRUSTED_GIVING_MULTIPLE * support, 0.0)
    return np.maximum(both, beyond / UNTRUSTED_GIVING_MULTIPLE)


def _trust(
    support: FloatArray, activity: FloatArray, marked: IntArray, params: TrustParams
) -> FloatArray:
    needed = np.maximum(COVER * activity, params.full_trust_support)
    trust = np.minimum(1.0, support / needed)
    trust[marked] = 1.0
    return trust


def _budget(spend: FloatArray, cap: FloatArray) -> FloatArray:
    """min(1, cap / spend), 1 for a member who spent nothing."""
    out = np.ones(len(spend))
    over = spend > cap
    out[over] = cap[over] / spend[over]
    return out


def _cap(support: FloatArray, marked: IntArray, params: TrustParams) -> FloatArray:
    """What a member can give (and mint) at full worth: a multiple of their support."""
    cap = np.minimum(params.giver_budget, params.giving_multiple * support)
    cap[marked] = params.giver_budget
    return cap


def _earned(
    graph: Graph, walk: Walk, trust: FloatArray, eligible: BoolArray, params: TrustParams
) -> IntArray:
    """Trusted members credited by enough distinct trusted members on enough days."""
    candidate = (trust >= TRUSTED) & eligible
    if not candidate.any():
        return np.zeros(0, np.int64)
    # distinct givers: the walk's matrix holds one entry per (receiver, giver) pair
    into = walk.into
    rows = np.repeat(np.arange(graph.n), np.diff(into.indptr))
    vouches = trust[into.indices] >= TRUSTED
    candidate &= np.bincount(rows[vouches], minlength=graph.n) >= params.seed_min_givers
    ok = candidate[graph.dst] & (trust[graph.src] >= TRUSTED)
    if not ok.any():
        return np.zeros(0, np.int64)
    dst, day = graph.dst[ok], graph.day[ok]
    first = int(day.min())
    ones = np.ones(len(dst), dtype=np.int8)
    shape = (graph.n, int(day.max()) - first + 1)
    days = np.diff(sp.csr_matrix((ones, (dst, day - first)), shape=shape).indptr)
    return np.flatnonzero(candidate & (days >= params.seed_min_days)).astype(np.int64)
