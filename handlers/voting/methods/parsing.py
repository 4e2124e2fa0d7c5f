"""Reading ballot text: names or numbers → choice indexes, shares, separators.

Shared by every method's `parse`, so a choice is matched the same way whatever the
method: exact name, casefolded name, 1-based number, the method's aliases, a
forgiving match that ignores invisible characters, then the same without quotes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final

from handlers.core.errors import BadBallot

# A ballot longer than this is certainly not a ballot; refusing early keeps the work
# per message bounded whatever a member pastes.
MAX_BALLOT_TEXT: Final = 2000

# Shares: plain decimal numbers, optionally with an exponent and a trailing percent
# sign. Deliberately stricter than float(): no "nan", "inf", "1_000" or hex.
_SHARE_RE: Final = re.compile(r"[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*%?")

_QUOTES: Final[tuple[tuple[str, str], ...]] = (
    ('"', '"'),
    ("'", "'"),
    ("`", "`"),
    ("“", "”"),
    ("‘", "’"),
    ("«", "»"),
    ("„", "“"),
)


def loose_key(name: str) -> str:
    """A forgiving comparison key for names: NFKC, no invisible format characters
    (zero-width space/joiner, bidi marks) or emoji variation selectors, casefolded,
    whitespace runs collapsed.

    Members cannot easily type a zero-width joiner or a right-to-left mark, and
    different keyboards produce composed or decomposed accents; this key lets such a
    name still be matched when the exact and casefold comparisons fail. Because
    `validate_choices` refuses two names with the same key, the match is unambiguous.
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and not 0xFE00 <= ord(ch) <= 0xFE0F
    )
    return " ".join(text.casefold().split())


def show(token: str, limit: int = 40) -> str:
    """Quote-ready, one-line, bounded rendering of user text for an error message."""
    one_line = " ".join(token.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return one_line


def choices_line(choices: Sequence[str]) -> str:
    return "Choices: " + ", ".join(c.strip() for c in choices) + "."


def split_parts(text: str, separators: str) -> list[str]:
    """Split on any of `separators`, strip parts and drop empty ones.

    Empty parts are dropped so a trailing comma or a doubled separator (``a,, b``) is
    forgiven instead of refused: it cannot change what the member meant.
    """
    parts = re.split("[" + re.escape(separators) + "]", text)
    return [p.strip() for p in parts if p.strip()]


def resolve(
    choices: Sequence[str], token: str, usage: str, aliases: Mapping[str, int] | None = None
) -> int:
    """Map one token (a name or a 1-based number) to a 0-based choice index.

    Order: exact name, casefolded name, choice number, the method's aliases, the
    forgiving `loose_key` match, then the same again without surrounding quotes. Names
    come before numbers so that an unvalidated legacy choice named "2" is still reachable.
    """
    names = [c.strip() for c in choices]
    tok = token.strip()
    if not tok:
        raise BadBallot("Empty choice in the ballot. " + choices_line(choices), usage=usage)
    for i, name in enumerate(names):
        if name == tok:
            return i
    folded = tok.casefold()
    hits = [i for i, name in enumerate(names) if name.casefold() == folded]
    if len(hits) == 1:
        return hits[0]
    if tok.isdecimal():
        # Bounded before int(): Python refuses to convert very long digit strings.
        number = int(tok) if len(tok) <= 6 else 0
        if 1 <= number <= len(names):
            return number - 1
        raise BadBallot(
            f"There is no choice number {show(tok)}: choose 1–{len(names)} or a name. "
            + choices_line(choices),
            usage=usage,
        )
    if aliases and folded in aliases:
        return aliases[folded]
    loose = loose_key(tok)
    hits = [i for i, name in enumerate(names) if loose_key(name) == loose]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise BadBallot(
            f'"{show(tok)}" matches more than one choice. ' + choices_line(choices), usage=usage
        )
    for left, right in _QUOTES:
        if len(tok) >= 2 and tok.startswith(left) and tok.endswith(right):
            return resolve(choices, tok[len(left) : -len(right)], usage, aliases)
    raise BadBallot(f'Unknown choice "{show(tok)}". ' + choices_line(choices), usage=usage)


def parse_share(name: str, raw: str, usage: str) -> float:
    """A share: a positive finite decimal number, optionally followed by ``%``."""
    text = raw.strip()
    value = math.nan
    if _SHARE_RE.fullmatch(text):
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise BadBallot(
            f'The share for "{name}" must be a positive number, not "{show(text)}" '
            "(leave a choice out to give it nothing).",
            usage=usage,
        )
    return value


def as_float(value: int | float) -> float:
    """float(value), with integers too large for a float mapped to inf (which validation
    then refuses) instead of raising OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def percent(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
