"""Sybil resistance, measured: a seeded 300-member community through govbot's scoring.

The same simulation as `python -m bench.sim.sybil` (which runs 1,000 members), smaller
so it runs in seconds. The thresholds are the product's goals; the old score is run on
the same communities so the test shows it would have failed them.
"""

from __future__ import annotations

import pytest

from bench.sim.community import Attack, Shape, attacked, honest_community
from bench.sim.legacy import legacy_scores
from bench.sim.sybil import auc, govbot_scores, pagerank_scores, ring_share, run_report, spearman

SHAPE = Shape(members=300, credits=5_400, voters_per_proposal=9)


@pytest.fixture(scope="module")
def report():
    return run_report(SHAPE, seed=3, sizes=(10, 50), edges=(0, 10, 50))


def test_a_ring_takes_almost_nothing_and_ranks_below_honest_members(report) -> None:
    for cell in report.grid:
        assert cell.share <= cell.pagerank_share  # never more than plain PageRank gives
        if cell.attack_edges <= 10:
            assert cell.share <= 0.01, cell
            assert cell.auc >= 0.95, cell
        else:
            assert cell.share <= 0.05, cell
    # the old score failed the same goals on the same communities
    assert any(c.legacy_share > 0.05 for c in report.grid if c.attack_edges == 10)
    assert all(c.legacy_auc < 0.95 for c in report.grid)


def test_a_ring_that_lurks_past_any_age_rule_takes_nothing(report) -> None:
    for cell in report.lurking:
        assert cell.share <= 0.005, cell
        assert cell.legacy_share > 0.05  # it used to become trusted seeds by waiting


def test_adaptive_rings_take_no_more_than_plain_pagerank_gives(report) -> None:
    """A funnel (members credited by honest ones pass everything on), a ring crediting
    lightly to look normal, and a ring flooding honest members with credits."""
    assert {c.label for c in report.adaptive} == {"funnel", "light", "flooding top 50"}
    for cell in report.adaptive:
        assert cell.share <= cell.pagerank_share, cell
        assert cell.share <= 0.05, cell


def test_honest_members_scores_barely_move(report) -> None:
    assert report.spearman >= 0.9
    assert 0.5 <= report.honest_total <= 1.0  # untrusted credit is worth less, not more


def test_flooding_an_honest_member_does_not_lower_their_standing() -> None:
    base = honest_community(SHAPE, seed=4)
    flooded = attacked(base, Attack(sybils=20, attack_edges=0, flood=10), seed=4)
    before, after = govbot_scores(base), govbot_scores(flooded)
    assert spearman(before, after, base.honest) > 0.999
    for member in base.honest:
        assert after[member] >= before[member] - 1e-6 * max(1.0, before[member])
    assert ring_share(after, flooded) < 1e-3
    # (flooding cost the old score nothing either: this guards the activity rule)
    old = legacy_scores(flooded)
    assert auc(old, flooded) < auc(after, flooded)
    assert ring_share(pagerank_scores(flooded), flooded) > ring_share(after, flooded)
