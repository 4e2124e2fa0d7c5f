"""Vote hygiene: ratings given too fast to have read, and outputs that name their model.

* Reading-time floor: a rating cast less than `floor_seconds(chars)` after the card was
  posted is not counted — nobody reads two answers of that length that fast.
  floor = min(max_seconds, (len(output A) + len(output B)) / chars_per_second); a
  rater who changes their rating is judged on the time of the last one.
* Identity leaks: redaction hides names written as whole words; an output that still
  spells a model's name another way ("Chat-GPT", "g.p.t-4o", "I am Claude3") gives the
  battle away, so the battle is excluded (FastChat drops such battles too). The check
  compares letters and digits only, for names of at least `MIN_NAME` of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_NAME = 4


def floor_seconds(chars: int, chars_per_second: float, max_seconds: float) -> float:
    if chars_per_second <= 0:
        return 0.0
    return min(max_seconds, chars / chars_per_second)


def read_in_time(
    created_at: float, cast_at: float, chars: int, chars_per_second: float, max_seconds: float
) -> bool:
    return cast_at - created_at >= floor_seconds(chars, chars_per_second, max_seconds)


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower().replace("[redacted]", " "))


def leaked_name(outputs: Iterable[str], names: Iterable[str]) -> str | None:
    """The first name (longest first) an output still contains, ignoring punctuation."""
    squashed = [_squash(text) for text in outputs]
    candidates = sorted({n for n in names if len(_squash(n)) >= MIN_NAME}, key=len, reverse=True)
    for name in candidates:
        key = _squash(name)
        if any(key in text for text in squashed):
            return name
    return None
