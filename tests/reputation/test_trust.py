"""The trust rules on small hand-made graphs: earned seeds, the walk that follows only
what counts, activity, the giving budget, and the no-seed fallback."""

from __future__ import annotations

import numpy as np
import pytest

from handlers.reputation.pagerank import Walk, trust_rank
from handlers.reputation.trust import Graph, TrustParams, member_trust

PARAMS = TrustParams()


def graph(n: int, edges: list[tuple[int, int, float, int]]) -> Graph:
    """Edges as (giver, receiver, weight, day)."""
    src, dst, weight, day = (np.asarray(col) for col in zip(*edges, strict=True))
    return Graph(n, src.astype(np.int64), dst.astype(np.int64), weight.astype(float), day)


def everyone(n: int) -> np.ndarray:
    return np.ones(n, dtype=bool)


def test_not_following_a_member_is_the_same_as_them_crediting_no_one() -> None:
    rng = np.random.default_rng(3)
    n, m = 40, 300
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = src != dst
    src, dst, weight = src[keep], dst[keep], rng.uniform(0.1, 2.0, keep.sum())
    seeds = np.array([0, 1])
    follow = np.ones(n)
    follow[[5, 9]] = 0.0
    ours = trust_rank(n, src, dst, weight, seeds, follow=follow, tol=1e-13)
    cut = ~np.isin(src, [5, 9])
    theirs = trust_rank(n, src[cut], dst[cut], weight[cut], seeds, tol=1e-13)
    assert np.allclose(ours, theirs, atol=1e-10)
    # half-followed: half of what 5 would pass on returns to the seeds instead
    follow[5] = 0.5
    half = trust_rank(n, src, dst, weight, seeds, follow=follow, tol=1e-13)
    assert half.sum() == pytest.approx(1.0)
    walk = Walk(n, src, dst, weight)
    x = walk.rank(seeds, follow=follow, tol=1e-13)
    assert np.allclose(x, half)
    inflow = walk.inflow(x, follow=follow)
    others = ~np.isin(np.arange(n), seeds)
    assert np.allclose(inflow[others], x[others], atol=1e-12)  # they got it all by credit
    assert (inflow[seeds] < x[seeds]).all()  # seeds also by restarting


def test_a_member_earns_seed_status_from_three_trusted_members_on_three_days() -> None:
    # 0 is the admin; 1, 2, 3 are credited by the admin until trusted; 4 is credited by
    # 1, 2 and 3 on days 10, 11, 12; 5 by the same three, all on day 10; 6 by two only
    edges = [(0, k, 3.0, d) for k in (1, 2, 3) for d in (1, 2)]
    edges += [(g, 4, 1.0, 9 + g) for g in (1, 2, 3)]
    edges += [(g, 5, 1.0, 10) for g in (1, 2, 3)]
    edges += [(g, 6, 1.0, 9 + g + d) for g in (1, 2) for d in (0, 2)]
    result = member_trust(graph(7, edges), np.array([0]), everyone(7), PARAMS)
    assert set(result.seeds.tolist()) == {0, 4}
    assert result.trust[[1, 2, 3]] == pytest.approx([1.0, 1.0, 1.0])
    # not eligible (e.g. too new for the age rule): trusted, but not a seed
    eligible = everyone(7)
    eligible[4] = False
    assert set(member_trust(graph(7, edges), np.array([0]), eligible, PARAMS).seeds) == {0}


def test_trust_grows_with_support_from_trusted_members_only() -> None:
    # 1 gets one reaction from the admin; 2 gets three; 3 gets a hundred from 4, whom
    # no trusted member ever credited
    edges = [(0, 1, 1.0, 1)] + [(0, 2, 1.0, d) for d in (1, 2, 3)]
    edges += [(4, 3, 1.0, d % 30) for d in range(100)]
    result = member_trust(graph(5, edges), np.array([0]), everyone(5), PARAMS)
    assert result.trust[1] == pytest.approx(1.0 / PARAMS.full_trust_support)
    assert result.trust[2] == pytest.approx(1.0)
    assert result.trust[3] == 0.0 and result.trust[4] == 0.0


def test_a_ring_member_keeps_little_and_flooding_an_honest_one_costs_them_nothing() -> None:
    # the admin credits 1 (honest) and 2 (who is also in a ring with 3 and 4)
    base = [(0, 1, 3.0, 1), (0, 1, 3.0, 2), (0, 2, 1.0, 1)]
    ring = [(a, b, 15.0, d) for a in (2, 3, 4) for b in (2, 3, 4) if a != b for d in range(20)]
    result = member_trust(graph(5, base + ring), np.array([0]), everyone(5), PARAMS)
    assert result.keep[2] < 0.05 and result.giving[2] < 0.01
    assert result.keep[1] == 1.0 and result.trust[1] == 1.0
    # the ring also floods 1 with credits: 1's trust, keep and giving stay the same
    flood = [(a, 1, 15.0, d) for a in (3, 4) for d in range(20)]
    flooded = member_trust(graph(5, base + ring + flood), np.array([0]), everyone(5), PARAMS)
    assert flooded.trust[1] == 1.0 and flooded.keep[1] == 1.0
    assert flooded.giving[1] == pytest.approx(result.giving[1])


def test_giving_is_budgeted_by_support_and_marked_seeds_by_the_budget() -> None:
    # 1 has 3 support from the admin and gives 60 to 2
    edges = [(0, 1, 3.0, 1), (1, 2, 60.0, 2), (0, 3, 47.0, 1)]
    minted = np.zeros(4)
    result = member_trust(graph(4, edges), np.array([0]), everyone(4), PARAMS, minted)
    assert result.trust[1] == 1.0
    assert result.giving[1] == pytest.approx(PARAMS.giving_multiple * 3.0 / 60.0)
    # votes and other minted credits spend the same budget
    minted[1] = 15.0
    spent = member_trust(graph(4, edges), np.array([0]), everyone(4), PARAMS, minted)
    assert spent.giving[1] == pytest.approx(PARAMS.giving_multiple * 3.0 / 75.0)
    # an admin giving 150 in all: each credit counts 100/150, and carries that much
    edges = [(0, 1, 3.0, 1), (0, 3, 147.0, 1)]
    admin = member_trust(graph(4, edges), np.array([0]), everyone(4), PARAMS)
    assert admin.giving[0] == pytest.approx(PARAMS.giver_budget / 150.0)
    assert admin.trust[1] == pytest.approx(3.0 * 100.0 / 150.0 / PARAMS.full_trust_support)


def test_without_any_seed_everyone_counts_within_the_budget() -> None:
    edges = [(1, 2, 1.0, 1), (2, 3, 250.0, 1)]
    result = member_trust(graph(4, edges), np.zeros(0, np.int64), everyone(4), PARAMS)
    assert result.trust.tolist() == [1.0] * 4 and result.keep.tolist() == [1.0] * 4
    assert result.giving[2] == pytest.approx(PARAMS.giver_budget / 250.0)
