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
