"""The four ballot shapes every method is one of: one choice, a set, an order, shares.

A shape owns how a ballot of that form is read from text, checked, stored and signed;
a method module picks its shape and adds its name, usage and counting kernel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from handlers.core.errors import BadBallot
from handlers.voting.methods.base import Selection, VotingMethod
from handlers.voting.methods.parsing import (
    MAX_BALLOT_TEXT,
    as_float,
    choices_line,
    parse_share,
    percent,
    resolve,
    show,
    split_parts,
)


class _Shape(VotingMethod):
    def _bad(self, message: str) -> BadBallot:
        return BadBallot(message, usage=self.usage)

    def parse(self, choices: Sequence[str], text: str) -> Selection:
        if len(text) > MAX_BALLOT_TEXT:
            raise self._bad(f"That ballot is too long ({len(text)} characters).")
        body = text.strip()
        if not body:
            raise self._bad("Empty ballot: name a choice. " + choices_line(choices))
        return self._parse(choices, body)

    def _parse(self, choices: Sequence[str], body: str) -> Selection:
        raise NotImplementedError


class _Indexes(_Shape):
    """Shapes stored as a tuple of 0-based indexes (one choice, a set, an order)."""

    exactly_one: ClassVar[bool] = False
    ascending: ClassVar[bool] = False

    def validate(self, selection: Any, n_choices: int | None = None) -> Selection:
        name = self.name
        if not isinstance(selection, tuple) or not selection:
            raise BadBallot(f"A {name} selection must be a non-empty tuple of indexes.")
        if not all(
            type(v) is int and v >= 0 and (n_choices is None or v < n_choices) for v in selection
        ):
            raise BadBallot(f"A {name} selection holds an invalid choice index.")
        if self.exactly_one and len(selection) != 1:
            raise BadBallot(f"A {name} selection names exactly one choice.")
        self._validate_more(selection)
        if len(set(selection)) != len(selection):
            raise BadBallot(f"A {name} selection names a choice twice.")
        if self.ascending and list(selection) != sorted(selection):
            raise BadBallot(f"An {name} selection must be in ascending order.")
        return selection

    def _validate_more(self, selection: tuple[int, ...]) -> None:
        """Extra checks of one method (basic: index 0, 1 or 2)."""

    def encode(self, selection: Selection) -> list[Any]:
        self._encodable(selection)
        return list(selection)

    def _encodable(self, selection: Selection) -> None:
        try:
            self.validate(selection)
        except BadBallot as exc:
            raise ValueError(exc.message) from None

    def decode(self, data: Any, n_choices: int | None = None) -> Selection:
        if not isinstance(data, list):
            raise BadBallot(f"An encoded {self.name} selection must be a list.")
        return self.validate(tuple(data), n_choices)

    def to_snapshot(self, selection: Selection) -> int | list[int] | dict[str, Any]:
        self.validate(selection)
        assert isinstance(selection, tuple)
        if self.exactly_one:
            return selection[0] + 1
        return [i + 1 for i in selection]

    def from_snapshot(self, choice: Any, n_choices: int | None = None) -> Selection:
        selection: tuple[int, ...]
        if self.exactly_one:
            if type(choice) is not int:
                raise BadBallot(f"A {self.name} Snapshot choice must be an integer.")
            selection = (choice - 1,)
        else:
            if not isinstance(choice, list) or not all(type(v) is int for v in choice):
                raise BadBallot(f"A {self.name} Snapshot choice must be a list of integers.")
            selection = tuple(v - 1 for v in choice)
            if self.ascending:
                selection = tuple(sorted(selection))
        return self.validate(selection, n_choices)

    def format(self, names: Sequence[str], selection: Selection) -> str:
        return ", ".join(names[i] for i in selection)


class OneChoice(_Indexes):
    """``yes`` or ``1``: the ballot names one choice."""

    exactly_one = True
    buttons = True
    signed_choice_type = "uint32"
    aliases: ClassVar[Mapping[str, int]] = {}

    def _parse(self, choices: Sequence[str], body: str) -> Selection:
        try:
            return (resolve(choices, body, self.usage, self.aliases),)
        except BadBallot:
            parts = split_parts(body, ",>")
            if not parts:
                raise self._bad("Empty ballot: name a choice. " + choices_line(choices)) from None
            if len(parts) > 1:
                raise self._bad(
                    f"This proposal takes one choice per ballot, not {len(parts)}."
                ) from None
            if len(parts) == 1 and parts[0] != body:
                return (resolve(choices, parts[0], self.usage, self.aliases),)
            raise


class ChoiceSet(_Indexes):
    """``a, c``: the ballot approves a set of choices (kept sorted)."""

    ascending = True
    signed_choice_type = "uint32[]"

    def _parse(self, choices: Sequence[str], body: str) -> Selection:
        seen: dict[int, None] = {}
        for part in split_parts(body, ","):
            index = resolve(choices, part, self.usage)
            if index in seen:
                raise self._bad(f'"{choices[index].strip()}" is approved twice.')
            seen[index] = None
        if not seen:
            raise self._bad("Empty ballot: approve at least one choice.")
        return tuple(sorted(seen))


class Ranking(_Indexes):
    """``b > a > c``: the ballot ranks choices (commas are accepted as separators too:
    names cannot contain either, and ``1, 2, 3`` is a common way to write a ranking)."""

    signed_choice_type = "uint32[]"

    def _parse(self, choices: Sequence[str], body: str) -> Selection:
        order: list[int] = []
        for part in split_parts(body, ">,"):
            index = resolve(choices, part, self.usage)
            if index in order:
                raise self._bad(f'"{choices[index].strip()}" is ranked twice.')
            order.append(index)
        if not order:
            raise self._bad("Empty ballot: rank at least one choice.")
        return tuple(order)

    def format(self, names: Sequence[str], selection: Selection) -> str:
        return " > ".join(names[i] for i in selection)


class Shares(_Shape):
    """``a=70, b=30``: the ballot splits its weight (a ``%`` after a share is allowed);
    keyed by ascending index so equal ballots are equal values."""

    signed_choice_type = "string"

    def hint(self, number: int, choices: Sequence[str]) -> str:
        names = list(choices[:3])
        return f"/vote {number} {names[0]}=60, {names[1]}=40"

    def _parse(self, choices: Sequence[str], body: str) -> Selection:
        shares: dict[int, float] = {}
        parts = split_parts(body, ",")
        if len(parts) == 1 and "=" not in parts[0]:
            # A lone choice name is the whole share: "/vote 5 no" means no=100.
            return {resolve(choices, parts[0], self.usage): 1.0}
        for part in parts:
            if "=" not in part:
                raise self._bad(
                    f'Give each choice a share, like a=70, b=30 ("{show(part)}" has none).'
                )
            name_text, _, share_text = part.partition("=")
            index = resolve(choices, name_text, self.usage)
            name = choices[index].strip()
            if index in shares:
                raise self._bad(f'"{name}" is given a share twice.')
            shares[index] = parse_share(name, share_text, self.usage)
        if not shares:
            raise self._bad("Empty ballot: give at least one choice a share.")
        return dict(sorted(shares.items()))

    def validate(self, selection: Any, n_choices: int | None = None) -> Selection:
        name = self.name
        if not isinstance(selection, dict) or not selection:
            raise BadBallot(f"A {name} selection must be a non-empty mapping of shares.")
        for key, value in selection.items():
            if not (type(key) is int and key >= 0 and (n_choices is None or key < n_choices)):
                raise BadBallot(f"A {name} selection holds an invalid choice index.")
            if type(value) is not float or not math.isfinite(value) or value <= 0:
                raise BadBallot(f"A {name} selection's shares must be positive finite floats.")
        return selection

    def encode(self, selection: Selection) -> list[Any]:
        try:
            self.validate(selection)
        except BadBallot as exc:
            raise ValueError(exc.message) from None
        assert isinstance(selection, dict)
        return [[i, selection[i]] for i in sorted(selection)]

    def decode(self, data: Any, n_choices: int | None = None) -> Selection:
        if not isinstance(data, list):
            raise BadBallot(f"An encoded {self.name} selection must be a list.")
        shares: dict[int, float] = {}
        for pair in data:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or type(pair[0]) is not int
                or type(pair[1]) not in (int, float)
            ):
                raise BadBallot(f"An encoded {self.name} selection holds a malformed pair.")
            if pair[0] in shares:
                raise BadBallot(f"An encoded {self.name} selection names a choice twice.")
            shares[pair[0]] = as_float(pair[1])
        return self.validate(shares, n_choices)

    def to_snapshot(self, selection: Selection) -> int | list[int] | dict[str, Any]:
        self.validate(selection)
        assert isinstance(selection, dict)
        return {
            str(i + 1): int(v) if v.is_integer() and abs(v) < 2**53 else v
            for i, v in sorted(selection.items())
        }

    def from_snapshot(self, choice: Any, n_choices: int | None = None) -> Selection:
        if not isinstance(choice, Mapping):
            raise BadBallot(f"A {self.name} Snapshot choice must be an object.")
        shares: dict[int, float] = {}
        for key, value in choice.items():
            if not isinstance(key, str) or not key.isascii() or not key.isdigit() or len(key) > 6:
                raise BadBallot(f"A {self.name} Snapshot choice has a malformed key.")
            if type(value) not in (int, float):
                raise BadBallot(f"A {self.name} Snapshot choice has a malformed share.")
            shares[int(key) - 1] = as_float(value)
        return self.validate(dict(sorted(shares.items())), n_choices)

    def format(self, names: Sequence[str], selection: Selection) -> str:
        assert isinstance(selection, dict)
        total = sum(selection[i] for i in sorted(selection))
        return ", ".join(
            f"{names[i]}={percent(selection[i] / total * 100)}%" for i in sorted(selection)
        )
