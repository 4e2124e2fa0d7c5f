"""Rater checks on simulated raters, vote hygiene and categories (pure, no database)."""

from __future__ import annotations

import random

from handlers.arena import categories, hygiene
from handlers.arena.raters import Vote, check_raters


def _simulated_votes(seed: int = 4) -> list[Vote]:
    """60 battles, 6 honest raters (85% right), one always pressing A, one at random,
    one failing gold; every 6th battle is gold with the better answer known."""
    rng = random.Random(seed)
    votes = []
    for battle in range(60):
        better = rng.choice("ab")
        gold = better if battle % 6 == 0 else None
        for honest in range(1, 7):
            right = rng.random() < 0.85
            votes.append(Vote(battle, honest, better if right else "ba"["ab".index(better)], gold))
        votes.append(Vote(battle, 7, "a", gold))
        votes.append(Vote(battle, 8, rng.choice(["a", "b", "tie", "bothbad"]), gold))
        wrong_on_gold = "ba"["ab".index(better)] if gold else better
        votes.append(Vote(battle, 9, wrong_on_gold, gold))
    return votes


def test_biased_random_and_gold_failing_raters_are_down_weighted_with_reasons() -> None:
    checks = check_raters(_simulated_votes())
    for honest in range(1, 7):
        assert checks[honest].weight == 1.0 and checks[honest].reasons == ()
    assert checks[7].f_side == 0.0 and checks[7].weight == 0.1  # the floor
    assert any("presses A" in r for r in checks[7].reasons)
    assert checks[8].f_consensus < 1.0 and any("agrees" in r for r in checks[8].reasons)
    assert checks[9].gold_right == 0 and checks[9].f_gold < 0.2
    assert checks[9].f_side == 1.0 and checks[9].f_consensus == 1.0
    assert any("failed gold" in r for r in checks[9].reasons)


def test_reading_floor_and_identity_leaks() -> None:
    assert hygiene.floor_seconds(400, 40.0, 30.0) == 10.0
    assert hygiene.floor_seconds(4000, 40.0, 30.0) == 30.0  # capped
    assert hygiene.floor_seconds(4000, 0.0, 30.0) == 0.0  # off
    assert not hygiene.read_in_time(100.0, 105.0, 400, 40.0, 30.0)
    assert hygiene.read_in_time(100.0, 110.0, 400, 40.0, 30.0)
    names = ["gpt-4o-mini", "OpenAI", "ChatGPT", "ab"]
    assert hygiene.leaked_name(["Hi, I am Chat-GPT, made by [redacted]."], names) == "ChatGPT"
    assert hygiene.leaked_name(["I'm g.p.t-4o mini"], names) == "gpt-4o-mini"
    assert hygiene.leaked_name(["[redacted] says hi", "a b c"], names) is None


def test_category_option_table_and_fastchat_tag() -> None:
    assert categories.split_option("category=coding,math Sum a list") == (
        ["coding", "math"],
        "Sum a list",
    )
    assert categories.split_option("Sum a list") == (None, "Sum a list")
    table = {"coding": [r"\bpython\b"], "math": [r"\d+\s*[+]\s*\d+"]}
    assert categories.assign("Write Python for 2 + 2", table) == ("coding", "math")
    assert categories.assign("A poem", table, given=["math"]) == ("math",)
    tag = categories.category_tag(["coding"], table)
    assert tag == {"coding_v0.1": {"coding": True}, "math_v0.1": {"math": False}}
    assert categories.from_category_tag(tag) == ["coding"]
    fastchat = {"math_v0.1": {"math": True}, "criteria_v0.1": {"specificity": False}}
    assert categories.from_category_tag(fastchat) == ["math"]
