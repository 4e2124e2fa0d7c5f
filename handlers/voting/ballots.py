"""Ballots: what a member typed → what they selected → how it is stored and shown.

This module is pure and platform-neutral: no I/O, no chat markup. It is the single
entry point where ballot text is interpreted, so `/vote`, buttons, signed ballots, the
audit re-tally and the receipts all agree on what a ballot means; each function asks
the method's own module (`handlers.voting.methods`) for the method-specific part.

A *selection* uses 0-based choice indexes (see `Selection`). Text uses names or
1-based numbers, because that is what members see on the proposal card; storage
(`encode_selection`) uses the 0-based indexes so that a renamed display never changes
a stored vote; Snapshot's own wire format (1-based) is produced by
`to_snapshot_choice` for signed ballots.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, Final

from handlers.core.errors import BadArguments
from handlers.voting import methods
from handlers.voting.methods.base import Selection
from handlers.voting.methods.basic import BASIC_CHOICES
from handlers.voting.methods.parsing import loose_key, show

__all__ = [
    "BASIC_CHOICES",
    "MAX_CHOICES",
    "MAX_CHOICE_LENGTH",
    "METHODS",
    "MIN_CHOICES",
    "Selection",
    "ballot_usage",
    "check_method",
    "decode_selection",
    "encode_selection",
    "format_selection",
    "from_snapshot_choice",
    "parse_ballot",
    "to_snapshot_choice",
    "validate_choices",
    "validate_selection",
]

METHODS: Final[tuple[str, ...]] = methods.NAMES
"""Every voting method, in the order they are offered."""

MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 10
MAX_CHOICE_LENGTH: Final = 80

# Characters that separate parts of a ballot; a choice name containing one would make
# ballots ambiguous, so `validate_choices` refuses them.
_FORBIDDEN_IN_CHOICES: Final[tuple[str, ...]] = (",", ">", "=", "|")


def check_method(method: str) -> str:
    """Return `method` if it is a known method, else raise ValueError.

    An unknown method is a programming or storage error, not something a voter did,
    so it is a ValueError rather than a BadBallot.
    """
    methods.get(method)
    return method


def parse_ballot(method: str, choices: Sequence[str], text: str) -> Selection:
    """Read a member's ballot text for a proposal with these choices.

    Forms (a choice is its name — exact, or casefolded, or ignoring invisible
    characters — or its 1-based number): single ``yes`` or ``1``; basic
    ``for``/``yes``/``y``/``1``, ``against``/``no``/``n``/``2``, ``abstain``/``3``;
    approval ``a, c`` (sorted: a set); ranked ``b > a > c``; weighted and quadratic
    ``a=70, b=30``.

    Raises BadBallot with a one-line reason (and `ballot_usage` as the usage) for any
    text that is not a valid ballot, and never any other exception for any string.
    """
    return methods.get(method).parse(choices, text)


def ballot_usage(method: str) -> str:
    """The example form of a ballot for `method`, for error replies and /help."""
    return methods.get(method).usage


def validate_selection(method: str, selection: Any, n_choices: int | None = None) -> Selection:
    """Check that `selection` is a well-formed selection for `method`.

    Returns it unchanged (typed) or raises BadBallot. `n_choices`, when given, also
    bounds the indexes. Used by `decode_selection` (data that may come from outside:
    signed ballots, imports) and `encode_selection` (so nothing malformed is stored).
    """
    return methods.get(method).validate(selection, n_choices)


def validate_choices(choices: Sequence[str], *, max_choices: int = MAX_CHOICES) -> list[str]:
    """Check a proposal's choices; return them stripped and otherwise untouched.

    Refuses (BadArguments with the reason): fewer than 2 or more than `max_choices`
    (10 unless the method allows more: elections take up to 50), an
    empty one, one over 80 characters, two that look the same (casefolded, or equal
    once invisible characters and Unicode compatibility forms are ignored — the
    forgiving match `parse_ballot` uses would otherwise be ambiguous), one containing
    ``,`` ``>`` ``=`` or ``|`` (ballot and /propose separators), control characters
    (a newline would break one-line cards), and one that is only digits (it would
    clash with choice numbers). No normalisation is applied to what is returned, so
    emoji, right-to-left text and zero-width joiners survive exactly.
    """
    names = [str(c).strip() for c in choices]
    if len(names) < MIN_CHOICES:
        raise BadArguments(f"A proposal needs at least {MIN_CHOICES} choices; got {len(names)}.")
    if len(names) > max_choices:
        raise BadArguments(f"A proposal has at most {max_choices} choices; got {len(names)}.")
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name:
            raise BadArguments(f"Choice {number} is empty.")
        if len(name) > MAX_CHOICE_LENGTH:
            raise BadArguments(
                f"Choice {number} is {len(name)} characters long; the limit is {MAX_CHOICE_LENGTH}."
            )
        for ch in _FORBIDDEN_IN_CHOICES:
            if ch in name:
                raise BadArguments(
                    f'Choice "{show(name)}" contains "{ch}", which ballots use as a '
                    "separator; please reword it."
                )
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise BadArguments(f"Choice {number} contains a line break or control character.")
        key = loose_key(name)
        if not key:
            raise BadArguments(f"Choice {number} has no visible characters.")
        if key.isdigit():
            raise BadArguments(
                f'Choice "{show(name)}" is only digits; it would be confused with choice numbers.'
            )
        for other_key in (name.casefold(), key):
            if other_key in seen:
                first = seen[other_key]
                raise BadArguments(
                    f'Choices {first} and {number} are the same ("{show(names[first - 1])}" '
                    f'and "{show(name)}").'
                )
        seen[name.casefold()] = number
        seen[key] = number
    return names


def format_selection(method: str, choices: Sequence[str], selection: Selection) -> str:
    """A selection in words, for receipts and "your vote" replies.

    ``yes``; ``a, c``; ``b > a > c``; ``yes=70%, no=30%`` (shares shown as their
    proportion of the ballot, which is what they mean, to one decimal).
    """
    voting = methods.get(method)
    voting.validate(selection, len(choices))
    return voting.format([c.strip() for c in choices], selection)


def encode_selection(method: str, selection: Selection) -> list[Any]:
    """JSON-able form for storage and the audit log.

    A list of ints for single/basic/approval/ranked; a list of ``[index, share]``
    pairs in ascending index order for weighted/quadratic (a list, not an object,
    because JSON object keys are strings and their order is not canonical).
    Raises ValueError for a malformed selection: storing one would be a bug.
    """
    return methods.get(method).encode(selection)


def decode_selection(method: str, data: Any, n_choices: int | None = None) -> Selection:
    """Inverse of `encode_selection` (exact round trip). Raises BadBallot if `data`
    is not a valid encoded selection (with indexes < `n_choices` when given)."""
    return methods.get(method).decode(data, n_choices)


def to_snapshot_choice(method: str, selection: Selection) -> int | list[int] | dict[str, Any]:
    """The ``choice`` field of Snapshot's ``Vote`` message (1-based indexes).

    single/basic: an int; approval/ranked: a list of ints; weighted/quadratic: an
    object ``{"1": 70, "2": 30}`` (whole shares as ints, as Snapshot's UI sends them).
    """
    return methods.get(method).to_snapshot(selection)


def from_snapshot_choice(method: str, choice: Any, n_choices: int | None = None) -> Selection:
    """Inverse of `to_snapshot_choice`; raises BadBallot for anything malformed."""
    return methods.get(method).from_snapshot(choice, n_choices)
