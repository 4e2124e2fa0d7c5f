"""The voting methods are one table: every place that lists or branches on methods reads it.

A method is a module under handlers/voting/methods/ exposing `METHOD`; these tests check
that the table is complete, that `/propose`, the settings and the cards are derived from
it, and that a method added to the table works end to end without touching anything else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

import handlers.voting.methods as methods_pkg
from bot.app import Core
from handlers.proposals import options
from handlers.proposals.policy import Profile, VotingPolicy
from handlers.voting import methods
from handlers.voting.methods.base import Count, FloatArray, VotingMethod
from handlers.voting.methods.single import Single
from tests.conftest import is_refusal, press, run_command, texts

HELPERS = {"base", "counting", "parsing", "shapes"}


def test_every_method_module_is_in_the_table_in_offer_order() -> None:
    found = {
        info.name for info in pkgutil.iter_modules(methods_pkg.__path__) if info.name not in HELPERS
    }
    assert found == set(methods.NAMES)
    for name in found:
        module = importlib.import_module(f"handlers.voting.methods.{name}")
        assert module.METHOD.name == name
        assert methods.get(name) is module.METHOD
    assert methods.NAMES[:2] == ("single", "basic")  # the buttons methods first, as before


@pytest.mark.parametrize("name", methods.NAMES)
def test_each_method_provides_the_whole_contract(name: str) -> None:
    method = methods.get(name)
    choices = list(method.fixed_choices or ("red", "green", "blue"))
    assert method.usage.startswith("/vote <id> ")
    assert method.help and method.snapshot_type and method.signed_choice_type
    hint = method.hint(7, choices)
    assert hint.startswith("/vote 7 ")
    # the card's example ballot is itself a valid ballot for the method
    selection = method.parse(choices, hint.removeprefix("/vote 7 ").split(" or ")[0])
    assert method.decode(method.encode(selection), len(choices)) == selection
    assert method.from_snapshot(method.to_snapshot(selection), len(choices)) == selection
    import numpy as np

    count = method.count([selection], np.array([2.0]), len(choices), 2.0)
    assert len(count.totals) == len(choices) and sum(count.totals) > 0


def test_unknown_method_is_a_value_error_naming_the_methods() -> None:
    with pytest.raises(ValueError, match="expected one of"):
        methods.get("borda")


def test_propose_usage_help_and_settings_are_derived_from_the_table() -> None:
    for name in methods.NAMES:
        assert name in options.USAGE
        VotingPolicy(default_method=name)  # accepted by the settings
        Profile(method=name)
    with pytest.raises(ValidationError, match="unknown voting method 'borda'"):
        VotingPolicy(default_method="borda")


async def test_unknown_method_in_propose_lists_the_table(core: Core) -> None:
    replies = await run_command(core, "alice", "/propose Lunch | a | b method=borda")
    assert is_refusal(replies)
    assert f"Methods: {', '.join(methods.NAMES)}." in texts(replies)
    assert await core.storage.proposals.in_community(1, status=None, limit=5) == []


class LastChoiceWins(Single):
    """A made-up method for the test: counts like single, but the last choice takes all."""

    name = "lastwins"
    help = "test only"
    usage = "/vote <id> <choice>"
    snapshot_type = "single-choice"
    buttons = False

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        totals = [0.0] * k
        totals[-1] = total_power
        return Count(totals, total_power, tuple(range(k)))

    def hint(self, number: int, choices: Sequence[str]) -> str:
        return f"/vote {number} {choices[0]}"


async def test_a_method_added_to_the_table_works_end_to_end(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: VotingMethod = LastChoiceWins()
    monkeypatch.setitem(methods.METHODS, added.name, added)
    opened = await run_command(core, "alice", "/propose Lunch | pizza | sushi method=lastwins")
    assert not is_refusal(opened), texts(opened)
    card = texts(opened)
    assert "/vote 1 pizza" in card  # the method's own hint
    assert not any(r.buttons for r in opened)  # no per-choice buttons for this method
    voted = await run_command(core, "bob", "/vote 1 pizza")
    assert not is_refusal(voted), texts(voted)
    closed = await run_command(core, "alice", "/close 1")
    assert not is_refusal(closed), texts(closed)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None and proposal.result is not None
    assert proposal.result["winner"] == 1  # its kernel counted, not single's
    assert proposal.result["totals"] == [0.0, 1.0]


async def test_button_methods_get_buttons(core: Core) -> None:
    opened = await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    buttons = [b for r in opened for b in r.buttons]
    assert [b.label for b in buttons][:2] == ["pizza", "sushi"]
    voted = await press(core, "bob", buttons[0].action, *buttons[0].args)
    assert "Vote recorded" in texts(voted)
