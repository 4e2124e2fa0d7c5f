"""The reputation score govbot shipped before sybil resistance, kept to compare against.

Seeds were the admins plus every member first seen more than 30 days ago; a giver's
trust was min(1, standing / the restart share of one seed); a giver's credits were
scaled down above a fixed budget of 100; community-minted credits counted in full for
anyone. The "before" column of the sybil table and the reference for how much honest
members' scores moved both come from here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bench.sim.community import DAY, Community
from handlers.reputation.pagerank import trust_rank

HALF_LIFE_DAYS = 90.0
DAMPING = 0.85
BUDGET = 100.0
SEED_AGE_DAYS = 30.0


def legacy_scores(community: Community) -> dict[int, float]:
    """Member id → score, by the old formula."""
    ids = sorted(community.first_seen)
    index = {m: i for i, m in enumerate(ids)}
    n = len(ids)
    old_enough = community.now - SEED_AGE_DAYS * DAY
    seed_set = set(community.admins) | {
        m for m, seen in community.first_seen.items() if seen <= old_enough
    }
    seeds = np.asarray(sorted(index[m] for m in seed_set), dtype=np.int64)
    at = np.asarray(community.at)
    decayed = np.asarray(community.weight) * np.exp2(-(community.now - at) / (HALF_LIFE_DAYS * DAY))
    r = np.asarray([index[m] for m in community.receiver], dtype=np.int64)
    g = np.asarray([-1 if m is None else index[m] for m in community.giver], dtype=np.int64)
    member = g >= 0
    src, dst, w = g[member], r[member], decayed[member]
    standing = trust_rank(n, src, dst, w, seeds, damping=DAMPING)
    reference = (1.0 - DAMPING) / (len(seeds) if len(seeds) else max(n, 1))
    trust = np.minimum(1.0, standing / reference)
    given = np.bincount(src, weights=w, minlength=n)
    budget: NDArray[np.float64] = np.ones(n)
    over = given > BUDGET
    budget[over] = BUDGET / given[over]
    worth = decayed.copy()
    worth[member] *= trust[src] * budget[src]
    score = np.bincount(r, weights=worth, minlength=n)
    return {m: float(score[index[m]]) for m in ids}
