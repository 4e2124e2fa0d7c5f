"""The allocation: exact integers, the budget exactly, cap and minimum, the policies."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.rewards.allocation import (
    allocate,
    allocate_epoch,
    balanced_needs,
    exact_integers,
    largest_remainder,
    model_weights,
)

weights = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.floats(min_value=1e-9, max_value=1e9, allow_nan=False),
    min_size=1,
    max_size=30,
)


def _inputs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "budget": "1000",
        "carry_in": "0",
        "pools": {"contributors": "60", "raters": "15", "models": "25"},
        "cap": "0",
        "min": "0",
        "hold_epochs": 2,
        "contributors": {"policy": "immediate", "earned": {}},
        "raters": {"weights": {}, "ratings": {}},
        "models": {"split": "wins", "min_battles": 1, "stats": {}},
        "payable": {},
    }
    return base | over


def test_largest_remainder_is_hare_niemeyer() -> None:
    # 10 seats, votes 5:3:2 of 7 units → 7·0.5=3.5, 2.1, 1.4 → 3, 2, 1 + one to a (0.5)
    assert largest_remainder(7, [("a", 5), ("b", 3), ("c", 2)]) == {"a": 4, "b": 2, "c": 1}
    assert largest_remainder(3, [("x", 1), ("y", 1), ("z", 1)]) == {"x": 1, "y": 1, "z": 1}
    assert largest_remainder(1, [("y", 1), ("x", 1)]) == {"y": 0, "x": 1}, "ties: sorted key"
    assert largest_remainder(5, [("a", 0)]) == {"a": 0}


def test_exact_integers_keep_proportions_exactly() -> None:
    found = exact_integers({"a": 0.1, "b": 0.2, "c": 3.0, "d": 0.0, "e": float("nan")})
    assert set(found) == {"a", "b", "c"}
    total = sum(found.values())
    for key, value in {"a": 0.1, "b": 0.2, "c": 3.0}.items():
        assert Fraction(found[key], total) == Fraction(value) / (
            Fraction(0.1) + Fraction(0.2) + Fraction(3.0)
        )


@settings(max_examples=200, deadline=None)
@given(
    weights,
    weights,
    st.integers(1, 10**27),
    st.integers(0, 10**26),
    st.integers(0, 10**25),
)
def test_amounts_add_up_exactly_within_cap_and_minimum(
    a: dict[str, float], b: dict[str, float], total: int, cap: int, floor: int
) -> None:
    pools = largest_remainder(total, [("contributors", 3), ("raters", 1)])
    amounts, parts, unallocated, _, dropped = allocate(
        total, pools, {"contributors": a, "raters": b}, cap=cap, floor=floor
    )
    assert sum(amounts.values()) + unallocated == total, "exactly the budget, never more"
    assert unallocated >= 0 and all(v > 0 for v in amounts.values())
    for key, amount in amounts.items():
        assert sum(parts[key].values()) == amount
        if cap:
            assert amount <= cap
        if floor:
            assert amount >= floor
    assert not set(dropped) & set(amounts)
    if unallocated and not cap and not dropped:
        pytest.fail("without cap or minimum everything is allocated")
    if cap and unallocated:
        assert all(amounts[k] == cap for k in amounts), "leftover only when all are capped"


def test_shares_follow_the_weights_exactly() -> None:
    # 600 among 1:2:3 → 100, 200, 300; 150 among raters 1:1 → 75 each
    amounts, parts, unallocated, _, _ = allocate(
        750,
        {"contributors": 600, "raters": 150},
        {"contributors": {"a": 1.0, "b": 2.0, "c": 3.0}, "raters": {"a": 0.5, "d": 0.5}},
    )
    assert amounts == {"a": 175, "b": 200, "c": 300, "d": 75} and unallocated == 0
    assert parts["a"] == {"contributors": 100, "raters": 75}


def test_cap_redistributes_in_proportion() -> None:
    # 100 over 8:1:1 with cap 50: a capped at 50, b and c share 50 → 25 each
    amounts, _, unallocated, capped, _ = allocate(
        100, {"contributors": 100}, {"contributors": {"a": 8, "b": 1, "c": 1}}, cap=50
    )
    assert amounts == {"a": 50, "b": 25, "c": 25} and capped == ["a"] and unallocated == 0
    # everyone capped: the rest is not allocated (carried over)
    amounts, _, unallocated, _, _ = allocate(
        100, {"contributors": 100}, {"contributors": {"a": 1, "b": 1}}, cap=30
    )
    assert amounts == {"a": 30, "b": 30} and unallocated == 40


def test_minimum_drops_the_smallest_one_at_a_time() -> None:
    # 100 over 50:30:15:5 with minimum 20: d (5) is dropped → 52.6, 31.6, 15.8 → c still
    # below → dropped too → 62.5, 37.5; dropping only d first matters: c is re-checked
    amounts, _, unallocated, _, dropped = allocate(
        100, {"contributors": 100}, {"contributors": {"a": 50, "b": 30, "c": 15, "d": 5}}, floor=20
    )
    assert dropped == ["c", "d"] and amounts == {"a": 63, "b": 37} and unallocated == 0
    # a share lifted above the minimum by a smaller one's drop is kept (b: 19.8 → 24.8)
    amounts, _, _, _, dropped = allocate(
        100, {"contributors": 100}, {"contributors": {"a": 60, "b": 19.8, "c": 0.4}}, floor=20
    )
    assert dropped == ["c"] and amounts == {"a": 75, "b": 25}


def test_balanced_pays_the_underpaid_as_sourcecred() -> None:
    # lifetime scores 1:1, a was paid 100 before, b nothing; budget 100:
    # target each = (100 + 100)/2 = 100 → a needs 0, b needs 100 → b gets everything
    assert balanced_needs(100, {"a": 5.0, "b": 5.0}, {"a": 100}) == {"b": 100.0}
    needs = balanced_needs(300, {"a": 3.0, "b": 1.0}, {"a": 0, "b": 0})
    assert needs == {"a": 225.0, "b": 75.0}
    inputs = _inputs(
        pools={"contributors": "100"},
        contributors={
            "policy": "balanced",
            "lifetime": {"m:1": 5.0, "m:2": 5.0},
            "paid": {"m:1": "100"},
        },
    )
    result = allocate_epoch(inputs)
    # budget 1000: target each (100 + 1000)/2 = 550 → m:1 needs 450, m:2 550
    assert {k: r["amount"] for k, r in result["allocations"].items()} == {
        "m:1": "450",
        "m:2": "550",
    }


def test_models_split_by_wins_or_softmax_over_eligible_owned_models() -> None:
    stats = {
        "x": {"owner": "m:1", "battles": 10, "score": 7.0, "rating": 1100.0},
        "y": {"owner": "a:0x" + "11" * 20, "battles": 10, "score": 3.0, "rating": 900.0},
        "z": {"owner": None, "battles": 10, "score": 9.0, "rating": 1200.0},
        "w": {"owner": "m:1", "battles": 1, "score": 1.0, "rating": 1000.0},
    }
    assert model_weights(stats, "wins", 5) == {"m:1": 7.0, "a:0x" + "11" * 20: 3.0}
    soft = model_weights(stats, "softmax", 5)
    assert soft["m:1"] / soft["a:0x" + "11" * 20] == pytest.approx(10 ** (200 / 400))


def test_unlinked_shares_are_held_or_returned_and_everything_adds_up() -> None:
    inputs = _inputs(
        carry_in="7",
        contributors={"policy": "immediate", "earned": {"m:1": 1.0, "m:2": 1.0, "m:3": 2.0}},
        payable={"m:1": "0x" + "aa" * 20, "m:3": "0x" + "bb" * 20},
        released=[{"epoch": 1, "key": "m:9", "amount": "50", "address": "0x" + "cc" * 20}],
        returned=[{"epoch": 1, "key": "m:8", "amount": "20"}],
    )
    result = allocate_epoch(inputs)
    rows = result["allocations"]
    assert result["total"] == "1007"
    assert result["pools"] == {"contributors": "604", "raters": "151", "models": "252"}
    assert {k: (r["amount"], r["status"]) for k, r in rows.items()} == {
        "m:1": ("151", "paid"),
        "m:2": ("151", "held"),
        "m:3": ("302", "paid"),
    }
    # raters and models had nobody: carried, with the expired hold of m:8
    assert result["unallocated"] == "403" and result["carry_out"] == str(403 + 20)
    assert result["payable_total"] == str(151 + 302 + 50)
    no_hold = allocate_epoch(inputs | {"hold_epochs": 0})
    assert no_hold["allocations"]["m:2"]["status"] == "returned"
    assert no_hold["carry_out"] == str(403 + 20 + 151)


def test_allocation_is_deterministic() -> None:
    inputs = _inputs(
        contributors={
            "policy": "immediate",
            "earned": {f"m:{i}": 1.0 / (i + 1) for i in range(50)},
        },
        raters={"weights": {f"m:{i}": 0.3 + i / 7 for i in range(0, 50, 3)}, "ratings": {}},
        cap="40",
        min="3",
    )
    assert allocate_epoch(inputs) == allocate_epoch(dict(reversed(list(inputs.items()))))
