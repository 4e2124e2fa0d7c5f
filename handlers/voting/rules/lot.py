"""Ties broken by lot, reproducibly: the lot is drawn from a public seed.

The seed is a proposal's `proposal.opened` audit entry hash, fixed before any ballot is
cast, so nobody can steer it and anyone holding the log can redraw the same lot:
``sha256(seed | context | tied indexes)`` read as an integer, modulo the number tied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def draw(seed: str, context: str, tied: Sequence[int]) -> int:
    """One of `tied` (choice indexes), the same for the same seed, context and set."""
    options = sorted(set(tied))
    if not options:
        raise ValueError("nothing to draw from")
    if len(options) == 1:
        return options[0]
    text = f"{seed}|{context}|{','.join(map(str, options))}"
    digest = hashlib.sha256(text.encode()).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def order(seed: str, context: str, items: Sequence[int]) -> list[int]:
    """A whole priority order drawn by repeated lots (first drawn first)."""
    left = sorted(set(items))
    out: list[int] = []
    while left:
        pick = draw(seed, f"{context}#{len(out)}", left)
        out.append(pick)
        left.remove(pick)
    return out
