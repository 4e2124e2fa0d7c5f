"""What a voting method is: one object per method, each in its own module.

Like snapshot.js's `src/voting/`, every method provides the same small set of things —
how a ballot is typed and read, how it is stored and signed (Snapshot's wire shape),
an example ballot for the card, and the counting kernel — so the rest of govbot asks
the method instead of branching on its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

import numpy as np
import numpy.typing as npt

Selection: TypeAlias = tuple[int, ...] | dict[int, float]
"""What one ballot selects, by 0-based choice index.

- one choice (``single``, ``basic``): ``(i,)``
- a set (``approval``): distinct indexes, non-empty, ascending (kept canonical)
- an order (``ranked``): distinct indexes in preference order; may be partial
- shares (``weighted``, ``quadratic``): ``{index: share}`` with strictly positive finite
  shares (they need not sum to 100: only their proportions matter)
"""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Count:
    """What a method's kernel returns: per-choice totals and how to judge them.

    `denominator` is the power the leader's share is measured against (the threshold);
    `contenders` are the choices that may win; `rounds`/`eliminated` are filled by
    methods that count in rounds.
    """

    totals: list[float]
    denominator: float
    contenders: tuple[int, ...]
    rounds: tuple[tuple[float, ...], ...] = ()
    eliminated: tuple[int, ...] = ()
    multi: bool = False  # the method itself decides the winners (multi-winner, Condorcet)
    winners: tuple[int, ...] = ()
    detail: dict[str, Any] | None = None  # every round, for the result card and the audit
    tied: bool = False  # a multi count that found no single winner (lots are not drawn)


class VotingMethod:
    """The contract of one voting method (subclasses fill in the class attributes)."""

    name: ClassVar[str]
    help: ClassVar[str]  # one line for /propose's help
    usage: ClassVar[str]  # the /vote form, shown with refusals
    snapshot_type: ClassVar[str]  # Snapshot's proposal type
    signed_choice_type: ClassVar[str]  # the EIP-712 type of `choice` in a signed ballot
    buttons: ClassVar[bool] = False  # one button per choice on the live card
    fixed_choices: ClassVar[tuple[str, ...] | None] = None  # choices the method brings

    def parse(self, choices: Sequence[str], text: str) -> Selection:
        """A member's ballot text → a selection; BadBallot with the reason otherwise."""
        raise NotImplementedError

    def validate(self, selection: Any, n_choices: int | None = None) -> Selection:
        """Check a selection's shape (and indexes < n_choices); BadBallot otherwise."""
        raise NotImplementedError

    def encode(self, selection: Selection) -> list[Any]:
        """JSON-able, canonical storage form (also what the audit log holds)."""
        raise NotImplementedError

    def decode(self, data: Any, n_choices: int | None = None) -> Selection:
        """Inverse of `encode` (exact round trip); BadBallot for malformed data."""
        raise NotImplementedError

    def to_snapshot(self, selection: Selection) -> int | list[int] | dict[str, Any]:
        """The `choice` field of Snapshot's Vote message (1-based)."""
        raise NotImplementedError

    def from_snapshot(self, choice: Any, n_choices: int | None = None) -> Selection:
        raise NotImplementedError

    def format(self, names: Sequence[str], selection: Selection) -> str:
        """A selection in words, for receipts."""
        raise NotImplementedError

    def hint(self, number: int, choices: Sequence[str]) -> str:
        """An example ballot written with this proposal's own choices."""
        raise NotImplementedError

    def count(
        self,
        selections: list[Any],
        weights: FloatArray,
        k: int,
        total_power: float,
    ) -> Count:
        """The counting kernel: validated selections and weights → per-choice totals."""
        raise NotImplementedError

    # ---- options beyond the shared ones (seats=, rule=, budget=, …); none by default

    option_keys: ClassVar[tuple[str, ...]] = ()

    def read_options(
        self, raw: Mapping[str, str], choices: Sequence[str]
    ) -> tuple[list[str], dict[str, Any]]:
        """Check this method's /propose options → (choice names, canonical options).

        Raises ValueError with a one-line reason. Methods whose choices carry data (a
        budget's costs) return the bare names.
        """
        if raw:
            keys = ", ".join(f"{key}=" for key in raw)
            raise ValueError(f"method={self.name} takes no {keys}")
        return list(choices), {}

    def decides_winners(self, options: Mapping[str, Any]) -> bool:
        """Whether this method (with these options) picks its winners itself, so the
        leader-and-threshold rule does not apply (multi-winner and Condorcet methods)."""
        return False

    def max_choices(self, options: Mapping[str, Any]) -> int:
        """How many choices a proposal of this method may have."""
        return 10

    def describe(self, options: Mapping[str, Any]) -> str:
        """The options in words for the card's rules line ('' when none)."""
        return ""

    def choice_label(self, name: str, index: int, options: Mapping[str, Any]) -> str:
        """A choice as the card lists it (a budget adds its cost)."""
        return name

    def count_with(
        self,
        selections: list[Any],
        weights: FloatArray,
        k: int,
        total_power: float,
        options: Mapping[str, Any],
        seed: str,
    ) -> Count:
        """The full count with this proposal's options; `seed` draws lots for ties."""
        return self.count(selections, weights, k, total_power)

    def explain(
        self, names: Sequence[str], result: Mapping[str, Any], options: Mapping[str, Any]
    ) -> list[str]:
        """Lines for the result card beyond the totals (every round, matrix, money)."""
        return []

    def measured(self, leader: int | None) -> int | None:
        """Whose share is measured against the threshold (the leader, by default)."""
        return leader

    def rejected(self, leader: int | None) -> bool:
        """Whether the result is a rejection rather than a win (basic: for must lead)."""
        return False

    def check_choices(self, choices: Sequence[str]) -> None:
        """Refuse a proposal whose choices this method cannot count (ValueError)."""
        if self.fixed_choices is not None and len(choices) != len(self.fixed_choices):
            raise ValueError(f"a {self.name} proposal has exactly the choices {self.fixed_choices}")


MethodTable: TypeAlias = Mapping[str, VotingMethod]
