"""Reading the multi-winner options of /propose: seats=, rule=, budget=, stv_rule=, costs.

Every check raises ValueError with the one-line reason shown to the member; nothing is
written before these pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

MAX_ELECTION_CHOICES: Final = 50
_COST: Final = re.compile(r"^(?P<name>.*?)\s+(?P<cost>[+-]?\d[\d_,]*(?:\.\d+)?)$")


def unknown_keys(raw: Mapping[str, str], allowed: Sequence[str], method: str) -> None:
    extra = [key for key in raw if key not in allowed]
    if extra:
        takes = ", ".join(f"{k}=" for k in allowed) or "no options"
        raise ValueError(f"method={method} takes {takes}, not {', '.join(k + '=' for k in extra)}")


def seats_of(raw: Mapping[str, str], n_choices: int, *, default: int | None = 1) -> int:
    text = raw.get("seats")
    if text is None:
        if default is None:
            raise ValueError("Say how many seats, like seats=3.")
        seats = default
    else:
        if not text.strip().isdigit() or len(text.strip()) > 4:
            raise ValueError(f'seats= takes a whole number, not "{text[:20]}".')
        seats = int(text)
    if seats < 1:
        raise ValueError("seats= must be at least 1.")
    if seats >= n_choices:
        raise ValueError(
            f"seats={seats} needs more than {seats} candidates; there are {n_choices}."
        )
    return seats


def rule_of(raw: Mapping[str, str], key: str, rules: Sequence[str], default: str) -> str:
    rule = (raw.get(key) or default).casefold()
    if rule not in rules:
        raise ValueError(f'Unknown {key} "{rule[:20]}". Choose {" or ".join(rules)}.')
    return rule


def positive_number(text: str, what: str) -> float:
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f'{what} must be a number, not "{text[:20]}".') from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be positive, not {text[:20]}.")
    return value


def split_costs(choices: Sequence[str]) -> tuple[list[str], list[float]]:
    """``evals 4000`` → ("evals", 4000.0) for each choice; refuses a missing cost."""
    names: list[str] = []
    costs: list[float] = []
    for choice in choices:
        match = _COST.match(choice.strip())
        if match is None or not match.group("name").strip():
            raise ValueError(
                f'Give each project a cost after its name, like "evals 4000" '
                f'("{choice.strip()[:40]}" has none).'
            )
        names.append(match.group("name").strip())
        costs.append(positive_number(match.group("cost"), f'The cost of "{match.group("name")}"'))
    return names, costs


def money(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
