"""Tally methods: hand-worked examples, Snapshot's quadratic, IRV, order independence."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.voting import methods
from handlers.voting.ballots import BASIC_CHOICES, METHODS, Selection
from handlers.voting.methods.shapes import ChoiceSet, Ranking
from handlers.voting.tally import Quorum, TallyResult, tally

ABC = ["a", "b", "c"]
ABCD = ["a", "b", "c", "d"]
BASIC = list(BASIC_CHOICES)

Ballots = list[tuple[Selection, float]]


def many(selection: Selection, count: int, weight: float = 1.0) -> Ballots:
    return [(selection, weight)] * count


# --------------------------------------------------------------------------- single


def test_single_plurality() -> None:
    r = tally("single", ABC, many((0,), 3) + many((1,), 5) + many((2,), 1))
    assert r.totals == (3.0, 5.0, 1.0)
    assert r.total_power == 9.0
    assert r.voters == 9
    assert (r.outcome, r.winner) == ("passed", 1)
    assert r.rounds == () and r.eliminated == ()


def test_single_uses_weights() -> None:
    r = tally("single", ABC, [((0,), 10.0), ((1,), 2.5), ((1,), 2.5)])
    assert r.totals == (10.0, 5.0, 0.0)
    assert r.winner == 0


def test_single_tie() -> None:
    r = tally("single", ABC, many((0,), 2) + many((2,), 2) + many((1,), 1))
    assert r.outcome == "tie"
    assert r.winner is None


def test_exactly_equal_float_totals_are_a_tie_in_any_order() -> None:
    # 0.1 + 0.2 + 0.3 summed left to right is not 0.6; exact summation makes it so.
    ballots: Ballots = [((0,), 0.1), ((0,), 0.2), ((0,), 0.3), ((1,), 0.6)]
    for order in (ballots, ballots[::-1], [ballots[2], ballots[0], ballots[3], ballots[1]]):
        assert tally("single", ["x", "y"], order).outcome == "tie"


def test_no_ballots() -> None:
    r = tally("single", ABC, [], quorum=Quorum(0, percent=False))
    assert r.outcome == "no_votes"
    assert r.winner is None
    assert r.totals == (0.0, 0.0, 0.0)
    assert r.voters == 0


def test_ballots_without_power_are_no_votes() -> None:
    r = tally("single", ABC, many((0,), 3, weight=0.0))
    assert (r.outcome, r.voters, r.total_power) == ("no_votes", 3, 0.0)


# --------------------------------------------------------------------------- threshold


def test_threshold_failing() -> None:
    r = tally("single", ["yes", "no"], many((0,), 6) + many((1,), 4), threshold=0.66)
    assert r.outcome == "failed_threshold"
    assert r.threshold_met is False
    assert r.winner is None
    assert r.totals == (6.0, 4.0)


def test_threshold_boundary_is_inclusive() -> None:
    # 66 of 100 against 0.66: a product (0.66 * 100 = 66.00000000000001) would fail it.
    r = tally("single", ["yes", "no"], many((0,), 66) + many((1,), 34), threshold=0.66)
    assert (r.outcome, r.winner, r.threshold_met) == ("passed", 0, True)
    r = tally("single", ["yes", "no"], many((0,), 2) + many((1,), 1), threshold=2 / 3)
    assert r.outcome == "passed"


def test_threshold_out_of_range_is_refused() -> None:
    for bad in (0.0, -0.1, 1.5, math.nan):
        with pytest.raises(ValueError):
            tally("single", ABC, many((0,), 1), threshold=bad)


# --------------------------------------------------------------------------- quorum


def test_absolute_quorum_failing_and_met() -> None:
    ballots = many((0,), 4) + many((1,), 1)
    r = tally("single", ABC, ballots, quorum=Quorum(6, percent=False))
    assert (r.outcome, r.winner, r.quorum_met) == ("no_quorum", None, False)
    r = tally("single", ABC, ballots, quorum=Quorum(5, percent=False))
    assert (r.outcome, r.winner, r.quorum_met) == ("passed", 0, True)


def test_percent_quorum() -> None:
    ballots = many((0,), 10)
    met = tally("single", ABC, ballots, quorum=Quorum(20, percent=True), eligible_power=50)
    assert (met.outcome, met.quorum_met, met.turnout) == ("passed", True, 0.2)
    short = tally("single", ABC, ballots[:9], quorum=Quorum(20, percent=True), eligible_power=50)
    assert (short.outcome, short.quorum_met) == ("no_quorum", False)
    assert short.turnout == pytest.approx(0.18)


def test_percent_quorum_without_eligible_power_is_not_checkable() -> None:
    ballots = many((0,), 10)
    r = tally("single", ABC, ballots, quorum=Quorum(1, percent=True))
    assert (r.outcome, r.quorum_met, r.turnout) == ("no_quorum", False, None)
    r = tally("single", ABC, ballots, quorum=Quorum(0, percent=True))
    assert (r.outcome, r.quorum_met) == ("passed", True)


def test_quorum_must_be_sane() -> None:
    with pytest.raises(ValueError):
        Quorum(-1, percent=False)
    with pytest.raises(ValueError):
        Quorum(101, percent=True)
    with pytest.raises(ValueError):
        Quorum(math.inf, percent=False)


# --------------------------------------------------------------------------- basic


def test_basic_abstain_counts_toward_quorum_only() -> None:
    ballots = many((0,), 3) + many((1,), 2) + many((2,), 5)
    quorum = Quorum(10, percent=False)
    r = tally("basic", BASIC, ballots, quorum=quorum, threshold=0.6)
    assert r.totals == (3.0, 2.0, 5.0)
    assert r.total_power == 10.0
    # Abstentions made the quorum and did not dilute "for": 3 / (3 + 2) = 0.6.
    assert (r.quorum_met, r.threshold_met, r.outcome, r.winner) == (True, True, "passed", 0)
    # Without them the same for/against split misses the quorum.
    r = tally("basic", BASIC, ballots[:5], quorum=quorum, threshold=0.6)
    assert (r.outcome, r.winner) == ("no_quorum", None)
    # And they never change the decision: with or without them "for" has 60 %.
    r = tally("basic", BASIC, ballots, threshold=0.61)
    assert r.outcome == "failed_threshold"


def test_basic_rejected_when_against_at_least_for() -> None:
    r = tally("basic", BASIC, many((0,), 2) + many((1,), 2))
    assert (r.outcome, r.winner) == ("rejected", None)
    r = tally("basic", BASIC, many((0,), 1) + many((1,), 3))
    assert (r.outcome, r.winner, r.threshold_met) == ("rejected", None, True)
    r = tally("basic", BASIC, many((0,), 1) + many((1,), 3), threshold=0.5)
    assert r.threshold_met is False
    r = tally("basic", BASIC, many((2,), 7))
    assert (r.outcome, r.winner, r.total_power) == ("rejected", None, 7.0)


def test_basic_needs_three_choices() -> None:
    with pytest.raises(ValueError):
        tally("basic", ["for", "against"], many((0,), 1))


# --------------------------------------------------------------------------- approval


def test_approval() -> None:
    ballots: Ballots = [((0, 1), 3.0), ((1,), 2.0), ((1, 2), 1.0), ((0, 2), 4.0)]
    r = tally("approval", ABC, ballots)
    assert r.totals == (7.0, 6.0, 5.0)
    assert r.total_power == 10.0
    assert (r.outcome, r.winner) == ("passed", 0)
    # Share = 7 / total power 10, not 7 / (7 + 6 + 5).
    assert tally("approval", ABC, ballots, threshold=0.7).outcome == "passed"
    assert tally("approval", ABC, ballots, threshold=0.71).outcome == "failed_threshold"


# --------------------------------------------------------------------------- weighted


def test_weighted() -> None:
    ballots: Ballots = [({0: 70.0, 1: 30.0}, 10.0), ({1: 1.0}, 5.0), ({0: 1.0, 2: 3.0}, 4.0)]
    r = tally("weighted", ABC, ballots)
    # a: 7 + 1 = 8; b: 3 + 5 = 8... + c: 3 → a and b tie at 8.
    assert r.totals == pytest.approx((8.0, 8.0, 3.0))
    assert r.total_power == 19.0
    assert r.outcome == "tie"
    r = tally("weighted", ABC, [*ballots, ({0: 2.0}, 1.0)], threshold=0.45)
    assert r.totals == pytest.approx((9.0, 8.0, 3.0))
    assert (r.outcome, r.winner) == ("passed", 0)
    assert sum(r.totals) == pytest.approx(r.total_power)


# --------------------------------------------------------------------------- quadratic


def test_quadratic_single_choice_voters_match_their_weights() -> None:
    # Two voters, weights 4 and 9, each all-in on one choice: sqrt(4)² = 4, sqrt(9)² = 9.
    r = tally("quadratic", ["a", "b"], [({0: 1.0}, 4.0), ({1: 1.0}, 9.0)])
    assert r.totals == pytest.approx((4.0, 9.0))
    assert r.winner == 1


def test_quadratic_hand_worked_split() -> None:
    # Voter 1 (weight 4) splits a=50, b=50; voter 2 (weight 9) all on b.
    # a: (sqrt(4 × 0.5))² = 2
    # b: (sqrt(4 × 0.5) + sqrt(9))² = (√2 + 3)² = 11 + 6√2 ≈ 19.485
    # Rescaled to the total power 13: a = 13 × 2 / (13 + 6√2), b = 13 × (11 + 6√2) / (13 + 6√2)
    r = tally("quadratic", ["a", "b"], [({0: 50.0, 1: 50.0}, 4.0), ({1: 100.0}, 9.0)])
    raw_b = 11 + 6 * math.sqrt(2)
    assert r.totals[0] == pytest.approx(13 * 2 / (2 + raw_b), rel=1e-12)
    assert r.totals[1] == pytest.approx(13 * raw_b / (2 + raw_b), rel=1e-12)
    assert r.totals == pytest.approx((1.21014, 11.78986), abs=1e-5)
    assert r.total_power == 13.0


def test_quadratic_many_small_voters_outweigh_one_large() -> None:
    # Four voters of weight 1 on a vs one voter of weight 4 on b:
    # a = (4 × √1)² = 16, b = (√4)² = 4 → rescaled to total 8: 6.4 and 1.6.
    r = tally("quadratic", ["a", "b"], [*many({0: 1.0}, 4), ({1: 1.0}, 4.0)])
    assert r.totals == pytest.approx((6.4, 1.6))
    assert r.winner == 0
    # The same ballots under single choice are a 4–4 tie.
    assert tally("single", ["a", "b"], [*many((0,), 4), ((1,), 4.0)]).outcome == "tie"


def test_quadratic_matches_snapshot_formula_on_random_ballots() -> None:
    rng = np.random.default_rng(7)
    k = 4
    ballots: Ballots = []
    for _ in range(200):
        picks = rng.choice(k, size=int(rng.integers(1, k + 1)), replace=False)
        shares = {int(i): float(rng.integers(1, 100)) for i in sorted(picks)}
        ballots.append((shares, float(rng.integers(1, 50))))
    raw = [0.0] * k
    for selection, weight in ballots:
        assert isinstance(selection, dict)
        total = sum(selection.values())
        for i, s in selection.items():
            raw[i] += math.sqrt(s / total * weight)
    squared = [x * x for x in raw]
    power = sum(w for _, w in ballots)
    expected = [x / sum(squared) * power for x in squared]
    assert tally("quadratic", ["a", "b", "c", "d"], ballots).totals == pytest.approx(
        expected, rel=1e-12
    )


# --------------------------------------------------------------------------- ranked


def test_irv_plurality_leader_loses() -> None:
    # a leads the first round with 8 of 17 but most voters prefer b or c to a.
    ballots = many((0,), 8) + many((1, 2), 5) + many((2, 1), 4)
    r = tally("ranked", ABC, ballots)
    assert r.rounds == ((8.0, 5.0, 4.0), (8.0, 9.0, 0.0))
    assert r.eliminated == (2,)
    assert r.totals == (8.0, 9.0, 0.0)
    assert (r.outcome, r.winner) == ("passed", 1)
    # Plurality would have elected a.
    first = [((s[0],), w) for s, w in ballots if isinstance(s, tuple)]
    assert tally("single", ABC, first).winner == 0


def test_irv_majority_in_first_round_stops() -> None:
    r = tally("ranked", ABC, many((0, 1), 3) + many((1,), 2))
    assert r.rounds == ((3.0, 2.0, 0.0),)
    assert r.eliminated == ()
    assert r.winner == 0


def test_irv_exhausted_ballots_leave_the_count() -> None:
    # c's voters rank nobody else: after c goes they are exhausted, so a's 4 of the
    # remaining 7 is a majority although it is not half of all 10.
    ballots = many((0,), 4) + many((1,), 3) + many((2,), 2) + many((3, 1), 1)
    r = tally("ranked", ABCD, ballots, threshold=0.55)
    assert r.rounds == (
        (4.0, 3.0, 2.0, 1.0),
        (4.0, 4.0, 2.0, 0.0),
        (4.0, 4.0, 0.0, 0.0),
    )
    assert r.eliminated == (3, 2)
    # The last round is a 4–4 tie between a and b: no arbitrary elimination.
    assert (r.outcome, r.winner) == ("tie", None)
    ballots = many((0,), 4) + many((1,), 2) + many((2,), 3)
    r = tally("ranked", ABC, ballots, threshold=0.55)
    assert r.rounds[-1] == (4.0, 0.0, 3.0)
    assert (r.outcome, r.winner) == ("passed", 0)  # 4 / 7 ≈ 0.571 ≥ 0.55
    r = tally("ranked", ABC, ballots, threshold=0.6)
    assert (r.outcome, r.threshold_met) == ("failed_threshold", False)


def test_irv_lowest_tie_broken_by_previous_round() -> None:
    # Round 1: a 5, b 3, c 4, d 1 → d out (its ballot moves to b).
    # Round 2: a 5, b 4, c 4 → b and c tie for lowest; b had fewer in round 1, so b
    # goes (the index rule alone would have removed c). b's ballots → c and a.
    ballots = many((0,), 5) + many((1, 2), 3) + many((2,), 4) + many((3, 1, 0), 1)
    r = tally("ranked", ABCD, ballots)
    assert r.rounds == (
        (5.0, 3.0, 4.0, 1.0),
        (5.0, 4.0, 4.0, 0.0),
        (6.0, 0.0, 7.0, 0.0),
    )
    assert r.eliminated == (3, 1)
    assert (r.outcome, r.winner) == ("passed", 2)


def test_irv_lowest_tie_without_history_removes_higher_index() -> None:
    ballots = many((0,), 3) + many((1,), 3) + many((2,), 1) + many((3, 1), 1)
    r = tally("ranked", ABCD, ballots)
    # c and d tie at 1 in round 1: d (index 3) goes first, then c (exhausted), and
    # b wins 4 of the 7 remaining.
    assert r.eliminated[:2] == (3, 2)
    assert r.rounds[1] == (3.0, 4.0, 1.0, 0.0)
    assert r.winner == 1


def test_irv_all_remaining_tied_is_a_tie() -> None:
    r = tally("ranked", ABC, many((0, 1), 2) + many((1, 0), 2) + many((2,), 2))
    assert r.rounds == ((2.0, 2.0, 2.0),)
    assert (r.outcome, r.winner) == ("tie", None)


def test_irv_zero_first_preferences_are_eliminated_one_per_round() -> None:
    # Nobody ranks d first: it is eliminated alone, then c (whose ballot moves to a).
    r = tally("ranked", ABCD, many((0, 1), 2) + many((1, 0), 2) + many((2, 0), 1))
    assert r.rounds == (
        (2.0, 2.0, 1.0, 0.0),
        (2.0, 2.0, 1.0, 0.0),
        (3.0, 2.0, 0.0, 0.0),
    )
    assert r.eliminated == (3, 2)
    assert r.winner == 0


def reference_irv(ballots: Sequence[tuple[tuple[int, ...], int]], k: int) -> tuple[list, list]:
    """Plain, slow instant runoff with the documented rules, in exact arithmetic."""
    alive = set(range(k))
    rounds: list[list[Fraction]] = []
    eliminated: list[int] = []
    while True:
        counts = [Fraction(0)] * k
        for ranking, weight in ballots:
            top = next((c for c in ranking if c in alive), None)
            if top is not None:
                counts[top] += weight
        rounds.append(counts)
        active = sum(counts)
        live = {c: counts[c] for c in alive}
        best = max(live.values())
        if len(alive) == 1 or (active > 0 and 2 * best > active):
            break
        low = min(live.values())
        if low == best:
            break
        lowest = [c for c in alive if live[c] == low]
        if len(lowest) > 1 and len(rounds) > 1:
            prev = min(rounds[-2][c] for c in lowest)
            lowest = [c for c in lowest if rounds[-2][c] == prev]
        loser = max(lowest)
        alive.discard(loser)
        eliminated.append(loser)
    return [[float(c) for c in rnd] for rnd in rounds], eliminated


@settings(max_examples=300, deadline=None)
@given(
    k=st.integers(2, 6),
    data=st.data(),
)
def test_irv_matches_reference(k: int, data: st.DataObject) -> None:
    rankings = st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True).map(tuple)
    ballots = data.draw(st.lists(st.tuples(rankings, st.integers(0, 5)), max_size=30))
    r = tally("ranked", [f"c{i}" for i in range(k)], ballots)
    if not ballots:
        assert r.outcome == "no_votes"
        return
    rounds, eliminated = reference_irv(ballots, k)
    assert [list(rnd) for rnd in r.rounds] == rounds
    assert list(r.eliminated) == eliminated


def test_irv_large_matches_reference() -> None:
    rng = np.random.default_rng(3)
    k = 6
    ballots = []
    for _ in range(3000):
        length = int(rng.integers(1, k + 1))
        ranking = tuple(int(c) for c in rng.permutation(k)[:length])
        ballots.append((ranking, int(rng.integers(1, 4))))
    r = tally("ranked", [f"c{i}" for i in range(k)], ballots)
    rounds, eliminated = reference_irv(ballots, k)
    assert [list(rnd) for rnd in r.rounds] == rounds
    assert list(r.eliminated) == eliminated


def test_irv_first_round_equals_single_on_first_preferences() -> None:
    rng = np.random.default_rng(5)
    ballots = [
        (tuple(int(c) for c in rng.permutation(5)[: int(rng.integers(1, 6))]), float(w))
        for w in rng.random(500) * 10
    ]
    first = [((s[0],), w) for s, w in ballots]
    names = list("abcde")
    assert tally("ranked", names, ballots).rounds[0] == tally("single", names, first).totals


# --------------------------------------------------------------------------- order independence


@st.composite
def tally_case(draw: st.DrawFn) -> tuple[str, list[str], Ballots]:
    method = draw(st.sampled_from(METHODS))
    k = 3 if method == "basic" else draw(st.integers(2, 6))
    choices = BASIC if method == "basic" else [f"c{i}" for i in range(k)]
    weight = st.one_of(
        st.integers(0, 1000).map(float),
        st.floats(min_value=0, max_value=1e9, allow_nan=False),
        st.sampled_from([0.1, 0.2, 0.3, 1e-3, 1 / 3]),
    )
    index = st.integers(0, k - 1)
    picks = st.lists(index, min_size=1, max_size=k, unique=True)
    selection: st.SearchStrategy[Selection]
    if method in ("single", "basic"):
        selection = index.map(lambda i: (i,))
    elif isinstance(methods.get(method), ChoiceSet):  # approval, budget
        selection = picks.map(lambda p: tuple(sorted(p)))
    elif isinstance(methods.get(method), Ranking):  # ranked, stv, condorcet
        selection = picks.map(tuple)
    else:
        share = st.one_of(
            st.integers(1, 100).map(float),
            st.floats(min_value=1e-6, max_value=1e6, allow_nan=False),
        )
        selection = st.dictionaries(index, share, min_size=1, max_size=k)
    ballots = draw(st.lists(st.tuples(selection, weight), max_size=25))
    return method, choices, ballots


@settings(max_examples=500, deadline=None)
@given(case=tally_case(), data=st.data())
def test_order_independence(case: tuple[str, list[str], Ballots], data: st.DataObject) -> None:
    method, choices, ballots = case
    shuffled = data.draw(st.permutations(ballots))
    # A dict selection's own key order must not matter either.
    shuffled = [
        (dict(reversed(list(s.items()))) if isinstance(s, dict) else s, w) for s, w in shuffled
    ]
    kwargs = {
        "quorum": data.draw(st.sampled_from([None, Quorum(5, False), Quorum(30, True)])),
        "threshold": data.draw(st.sampled_from([None, 0.5, 2 / 3, 1.0])),
        "eligible_power": data.draw(st.sampled_from([None, 100.0, 1e4])),
    }
    a = tally(method, choices, ballots, **kwargs)  # type: ignore[arg-type]
    b = tally(method, choices, shuffled, **kwargs)  # type: ignore[arg-type]
    assert a.to_json() == b.to_json()
    assert a == b  # bit-identical, not just equal to 9 digits
    assert a.outcome in ("passed", "no_votes", "no_quorum", "failed_threshold", "tie", "rejected")
    if a.multi:  # multi-winner methods name their winners (a budget may fund nothing)
        assert a.outcome in ("passed", "no_votes", "no_quorum", "tie")
        assert not a.winners or a.outcome == "passed"
    else:
        assert (a.winner is not None) == (a.outcome == "passed")
    assert math.isclose(a.total_power, math.fsum(w for _, w in ballots))


def test_order_independence_for_many_float_weights() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    picks = rng.integers(0, 4, n).tolist()
    weights = (rng.random(n) * 1e3).tolist()
    ballots: Ballots = [((i,), w) for i, w in zip(picks, weights, strict=True)]
    forward = tally("single", ABCD, ballots)
    backward = tally("single", ABCD, ballots[::-1])
    assert forward == backward
    exact = [math.fsum(w for i, w in zip(picks, weights, strict=True) if i == c) for c in range(4)]
    assert list(forward.totals) == exact


# --------------------------------------------------------------------------- json


def test_to_json_round_trip_and_determinism() -> None:
    r = tally(
        "ranked",
        ABC,
        many((0,), 8, 1 / 3) + many((1, 2), 5) + many((2, 1), 4),
        quorum=Quorum(10, percent=True),
        threshold=0.5,
        eligible_power=30,
    )
    data = r.to_json()
    text = json.dumps(data, sort_keys=True)
    again = TallyResult.from_json(json.loads(text))
    assert again.to_json() == data
    assert json.dumps(again.to_json(), sort_keys=True) == text
    assert data["rounds"][0][0] == 2.66666667
    assert data["eliminated"] == list(r.eliminated)
    assert again.outcome == r.outcome and again.winner == r.winner


def test_from_json_refuses_garbage() -> None:
    with pytest.raises(ValueError):
        TallyResult.from_json({"method": "single"})
    data = tally("single", ABC, many((0,), 1)).to_json()
    data["outcome"] = "won"
    with pytest.raises(ValueError):
        TallyResult.from_json(data)


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("method", "ballots"),
    [
        ("single", [((3,), 1.0)]),
        ("single", [((-1,), 1.0)]),
        ("single", [((0, 1), 1.0)]),
        ("single", [((), 1.0)]),
        ("single", [([0], 1.0)]),
        ("single", [((True,), 1.0)]),
        ("single", [((0,), -1.0)]),
        ("single", [((0,), math.nan)]),
        ("single", [((0,), math.inf)]),
        ("approval", [((0, 0), 1.0)]),
        ("ranked", [((1, 2, 1), 1.0)]),
        ("ranked", [((), 1.0)]),
        ("weighted", [({}, 1.0)]),
        ("weighted", [({0: 0.0}, 1.0)]),
        ("weighted", [({5: 1.0}, 1.0)]),
        ("quadratic", [((0,), 1.0)]),
        ("quadratic", [({0: math.inf}, 1.0)]),
    ],
)
def test_malformed_input_is_refused(method: str, ballots: Ballots) -> None:
    with pytest.raises(ValueError):
        tally(method, ABC, ballots)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        tally("borda", ABC, [])
