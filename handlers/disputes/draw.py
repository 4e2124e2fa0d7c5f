"""The jury draw: a pure function of the audit chain's head and the members' reputation.

Anyone holding the audit log can recompute who was drawn: the `dispute.opened` (or
`dispute.appealed`) entry lists the candidates with their reputation and the parties
left out, and the seed is that entry's own `prev` hash, i.e. the chain's head when the
dispute opened, which nobody could choose in advance.

The draw is weighted sampling without replacement (Efraimidis–Spirakis, written as
exponential clocks): each candidate m of weight w gets u = SHA-256(seed:m) read as a
number in (0, 1) and the key −ln(u)/w; candidates sorted by key, smallest first, give the
draw order. The chance of being drawn first is w/Σw, as with stake-weighted juries;
later places follow the same rule among those left. The first K are the jury; members
who recuse or do not answer are replaced by the next ones in that order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Mapping

SCALE = 2**64


def uniform(seed: str, member: int) -> float:
    """A number in (0, 1) from the seed and the member's id, the same on every machine."""
    digest = hashlib.sha256(f"{seed}:{member}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 1) / (SCALE + 1)


def draw_order(seed: str, weights: Mapping[int, float], exclude: Collection[int] = ()) -> list[int]:
    """Every eligible candidate (positive weight, not excluded) in draw order."""
    keyed = [
        (-math.log(uniform(seed, member)) / weight, member)
        for member, weight in weights.items()
        if weight > 0 and member not in exclude
    ]
    keyed.sort()
    return [member for _, member in keyed]


def candidates_from_log(logged: Mapping[str, float]) -> dict[int, float]:
    """The candidates as the audit payload stores them (JSON keys are strings)."""
    return {int(member): float(weight) for member, weight in logged.items()}


def majority(uphold: int, reject: int) -> str:
    """More votes to uphold than to reject upholds the dispute; a tie leaves things as
    they were (rejected)."""
    return "upheld" if uphold > reject else "rejected"


def vote_commitment(dispute: int, round_: int, member: int, choice: str, salt: str) -> str:
    """What the log shows of a juror's vote until the ruling reveals choice and salt."""
    return hashlib.sha256(f"{dispute}:{round_}:{member}:{choice}:{salt}".encode()).hexdigest()
