"""The table of voting methods: one module per method, collected here in offer order.

Everything that depends on the list of methods — `/propose`'s help and refusals, the
settings' allowed values, the card's buttons, the signed-ballot types, the tally —
reads this table, so a new method is a new module plus one line in `_MODULES`.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator

from handlers.voting.methods import (
    approval,
    basic,
    budget,
    condorcet,
    quadratic,
    ranked,
    single,
    stv,
    weighted,
)
from handlers.voting.methods.base import Count, Selection, VotingMethod
from handlers.voting.rules.params import MAX_ELECTION_CHOICES

_MODULES = (single, basic, approval, ranked, weighted, quadratic, stv, condorcet, budget)

METHODS: Final[dict[str, VotingMethod]] = {m.METHOD.name: m.METHOD for m in _MODULES}
NAMES: Final[tuple[str, ...]] = tuple(METHODS)


def get(name: str) -> VotingMethod:
    """The method called `name`; ValueError for an unknown one (a bug or bad storage)."""
    method = METHODS.get(name)
    if method is None:
        raise ValueError(f"unknown voting method {name!r}; expected one of {NAMES}")
    return method


def _known(name: str) -> str:
    if name not in METHODS:
        raise ValueError(f"unknown voting method {name!r}; methods: {', '.join(NAMES)}")
    return name


MethodName = Annotated[str, AfterValidator(_known)]
"""A setting holding a method name, checked against the table (for pydantic models)."""

__all__ = [
    "MAX_ELECTION_CHOICES",
    "METHODS",
    "NAMES",
    "Count",
    "MethodName",
    "Selection",
    "VotingMethod",
    "get",
]
