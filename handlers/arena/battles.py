"""Battle logic that needs no database: redaction, splits, majorities, battle rows.

Kept pure so the rules (what is hidden, what counts as the majority, how battles
are read) are tested directly and used the same way by the chat, the CLI and export.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.arena import bt
from handlers.arena.categories import category_tag, from_category_tag

CHOICE_LABELS = {"a": "A is better", "b": "B is better", "tie": "Tie", "bothbad": "Both bad"}
WINNER_OF_CHOICE = {"a": "model_a", "b": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
CHOICE_OF_WINNER = {v: k for k, v in WINNER_OF_CHOICE.items()}
REDACTED = "[redacted]"


def redact(text: str, names: Iterable[str]) -> tuple[str, int]:
    """Hide every configured model name, id or vendor (case-insensitive, whole words).

    Returns the text and how many mentions were hidden. Longer names go first so
    "gpt-4o-mini" is hidden whole rather than leaving "-mini" behind.
    """
    words = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if not words:
        return text, 0
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.IGNORECASE
    )
    return pattern.subn(REDACTED, text)


def split(choices: Iterable[str], weights: Iterable[float] | None = None) -> dict[str, float]:
    """Totals per choice (weighted when weights are given)."""
    totals = dict.fromkeys(CHOICE_LABELS, 0.0)
    for choice, w in zip(choices, weights or _ones(), strict=False):
        totals[choice] += w
    return totals


def _ones() -> Iterable[float]:
    while True:
        yield 1.0


def majority(choices: Sequence[str]) -> str | None:
    """The single most common choice, or None on a tie for first (no majority)."""
    if not choices:
        return None
    ranked = Counter(choices).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


@dataclass(frozen=True)
class BattleRow:
    """One battle in FastChat's format (style counts in `conv_metadata`, `category_tag`)."""

    model_a: str
    model_b: str
    winner: str
    judge: str
    tstamp: float
    conv_metadata: dict[str, Any] | None = None
    categories: tuple[str, ...] = ()
    question_id: str = ""
    known: tuple[str, ...] = field(default=(), compare=False)  # categories tagged false

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "winner": self.winner,
            "judge": self.judge,
            "tstamp": self.tstamp,
        }
        if self.question_id:
            out |= {"question_id": self.question_id, "anony": True, "turn": 1}
        if self.conv_metadata is not None:
            out["conv_metadata"] = self.conv_metadata
        out["category_tag"] = category_tag(self.categories, self.known)
        return out


def parse_battle(record: dict[str, object], line: int) -> BattleRow:
    """Read one FastChat battle row, refusing anything malformed with its line number."""
    try:
        a, b, winner = record["model_a"], record["model_b"], record["winner"]
    except KeyError as missing:
        raise ValueError(f"line {line}: missing {missing.args[0]!r}") from None
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        raise ValueError(f"line {line}: model_a and model_b must be non-empty strings")
    if a == b:
        raise ValueError(f"line {line}: model_a and model_b are the same model")
    if winner not in bt.WINNERS:
        raise ValueError(f"line {line}: winner must be one of {', '.join(bt.WINNERS)}")
    tstamp = record.get("tstamp", 0.0)
    judge = record.get("judge", "")
    meta = record.get("conv_metadata")
    if meta is not None and not isinstance(meta, dict):
        raise ValueError(f"line {line}: conv_metadata must be an object")
    return BattleRow(
        a,
        b,
        str(winner),
        str(judge),
        float(tstamp) if isinstance(tstamp, int | float) else 0.0,
        meta,
        tuple(from_category_tag(record.get("category_tag"))),
        str(record.get("question_id", "")),
    )


def counts_of(rows: Sequence[BattleRow], weights: Sequence[float] | None = None) -> bt.Counts:
    return bt.collapse(
        (r.model_a for r in rows),
        (r.model_b for r in rows),
        (r.winner for r in rows),
        weights,
    )
