"""Ballots: what a member typed → what they selected → how it is stored and shown.

This module is pure and platform-neutral: no I/O, no chat markup. It is the single
place where ballot text is interpreted, so `/vote`, buttons, signed ballots, the
audit re-tally and the receipts all agree on what a ballot means.

A *selection* uses 0-based choice indexes (see `Selection`). Text uses names or
1-based numbers, because that is what members see on the proposal card; storage
(`encode_selection`) uses the 0-based indexes so that a renamed display never changes
a stored vote; Snapshot's own wire format (1-based) is produced by
`to_snapshot_choice` for signed ballots.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeAlias

from handlers.core.errors import BadArguments, BadBallot

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

Selection: TypeAlias = tuple[int, ...] | dict[int, float]
"""What one ballot selects, by 0-based choice index.

- ``single``, ``basic``: ``(i,)``
- ``approval``: distinct indexes, non-empty, ascending (a set, kept canonical)
- ``ranked``: distinct indexes in preference order; may be partial
- ``weighted``, ``quadratic``: ``{index: share}`` with strictly positive finite shares
  (they need not sum to 100: only their proportions matter)
"""

METHODS: Final[tuple[str, ...]] = ("single", "basic", "approval", "ranked", "weighted", "quadratic")
"""Every voting method, in the order they are offered."""

BASIC_CHOICES: Final[tuple[str, ...]] = ("for", "against", "abstain")
"""The fixed choices of a ``basic`` proposal (index 0, 1, 2). A tuple so it can't be
mutated by accident; use ``list(BASIC_CHOICES)`` where a list is wanted."""

MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 10
MAX_CHOICE_LENGTH: Final = 80

_TUPLE_METHODS: Final = frozenset({"single", "basic", "approval", "ranked"})
_SHARE_METHODS: Final = frozenset({"weighted", "quadratic"})

# Characters that separate parts of a ballot; a choice name containing one would make
# ballots ambiguous, so `validate_choices` refuses them.
_FORBIDDEN_IN_CHOICES: Final[tuple[str, ...]] = (",", ">", "=", "|")

# A ballot longer than this is certainly not a ballot; refusing early keeps the work
# per message bounded whatever a member pastes.
_MAX_BALLOT_TEXT: Final = 2000

# Shares: plain decimal numbers, optionally with an exponent and a trailing percent
# sign. Deliberately stricter than float(): no "nan", "inf", "1_000" or hex.
_SHARE_RE: Final = re.compile(r"[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*%?")

# Basic proposals accept the words people actually type for yes/no.
_BASIC_ALIASES: Final[dict[str, int]] = {
    "for": 0,
    "yes": 0,
    "y": 0,
    "yea": 0,
    "aye": 0,
    "👍": 0,
    "against": 1,
    "no": 1,
    "n": 1,
    "nay": 1,
    "👎": 1,
    "abstain": 2,
    "abstention": 2,
}

_QUOTES: Final[tuple[tuple[str, str], ...]] = (
    ('"', '"'),
    ("'", "'"),
    ("`", "`"),
    ("“", "”"),
    ("‘", "’"),
    ("«", "»"),
    ("„", "“"),
)

_USAGE: Final[dict[str, str]] = {
    "single": "/vote <id> <choice name or number>",
    "basic": "/vote <id> for | against | abstain",
    "approval": "/vote <id> a, c",
    "ranked": "/vote <id> b > a > c",
    "weighted": "/vote <id> a=70, b=30",
    "quadratic": "/vote <id> a=70, b=30",
}


# --------------------------------------------------------------------------- helpers


def check_method(method: str) -> str:
    """Return `method` if it is one of `METHODS`, else raise ValueError.

    An unknown method is a programming or storage error, not something a voter did,
    so it is a ValueError rather than a BadBallot.
    """
    if method not in METHODS:
        raise ValueError(f"unknown voting method {method!r}; expected one of {METHODS}")
    return method


def _loose_key(name: str) -> str:
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


def _show(token: str, limit: int = 40) -> str:
    """Quote-ready, one-line, bounded rendering of user text for an error message."""
    one_line = " ".join(token.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return one_line


def _choices_line(choices: Sequence[str]) -> str:
    return "Choices: " + ", ".join(c.strip() for c in choices) + "."


def _bad(method: str, message: str) -> BadBallot:
    return BadBallot(message, usage=ballot_usage(method))


def _split(text: str, separators: str) -> list[str]:
    """Split on any of `separators`, strip parts and drop empty ones.

    Empty parts are dropped so a trailing comma or a doubled separator (``a,, b``) is
    forgiven instead of refused: it cannot change what the member meant.
    """
    parts = re.split("[" + re.escape(separators) + "]", text)
    return [p.strip() for p in parts if p.strip()]


def _resolve(method: str, choices: Sequence[str], token: str) -> int:
    """Map one token (a name or a 1-based number) to a 0-based choice index.

    Order: exact name, casefolded name, choice number, basic aliases, the forgiving
    `_loose_key` match, then the same again without surrounding quotes. Names come
    before numbers so that an unvalidated legacy choice named "2" is still reachable.
    """
    names = [c.strip() for c in choices]
    tok = token.strip()
    if not tok:
        raise _bad(method, "Empty choice in the ballot. " + _choices_line(choices))
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
        raise _bad(
            method,
            f"There is no choice number {_show(tok)}: choose 1–{len(names)} or a name. "
            + _choices_line(choices),
        )
    if method == "basic" and folded in _BASIC_ALIASES:
        return _BASIC_ALIASES[folded]
    loose = _loose_key(tok)
    hits = [i for i, name in enumerate(names) if _loose_key(name) == loose]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise _bad(
            method, f'"{_show(tok)}" matches more than one choice. ' + _choices_line(choices)
        )
    for left, right in _QUOTES:
        if len(tok) >= 2 and tok.startswith(left) and tok.endswith(right):
            return _resolve(method, choices, tok[len(left) : -len(right)])
    raise _bad(method, f'Unknown choice "{_show(tok)}". ' + _choices_line(choices))


def _parse_share(method: str, name: str, raw: str) -> float:
    """A share: a positive finite decimal number, optionally followed by ``%``."""
    text = raw.strip()
    value = math.nan
    if _SHARE_RE.fullmatch(text):
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise _bad(
            method,
            f'The share for "{name}" must be a positive number, not "{_show(text)}" '
            "(leave a choice out to give it nothing).",
        )
    return value


# --------------------------------------------------------------------------- parsing


def parse_ballot(method: str, choices: Sequence[str], text: str) -> Selection:
    """Read a member's ballot text for a proposal with these choices.

    Forms (a choice is its name — exact, or casefolded, or ignoring invisible
    characters — or its 1-based number):

    - single: ``yes`` or ``1``
    - basic: ``for``/``yes``/``y``/``1``, ``against``/``no``/``n``/``2``,
      ``abstain``/``3``
    - approval: ``a, c`` (returned sorted: approval is a set)
    - ranked: ``b > a > c`` (commas are accepted as separators too: names cannot
      contain either, and ``1, 2, 3`` is a common way to write a ranking)
    - weighted, quadratic: ``a=70, b=30`` (a ``%`` after a share is allowed); the
      result is keyed by ascending index so equal ballots are equal values

    Raises BadBallot with a one-line reason (and `ballot_usage` as the usage) for any
    text that is not a valid ballot, and never any other exception for any string.
    """
    check_method(method)
    if len(text) > _MAX_BALLOT_TEXT:
        raise _bad(method, f"That ballot is too long ({len(text)} characters).")
    body = text.strip()
    if not body:
        raise _bad(method, "Empty ballot: name a choice. " + _choices_line(choices))

    if method in ("single", "basic"):
        try:
            return (_resolve(method, choices, body),)
        except BadBallot:
            parts = _split(body, ",>")
            if not parts:
                raise _bad(
                    method, "Empty ballot: name a choice. " + _choices_line(choices)
                ) from None
            if len(parts) > 1:
                raise _bad(
                    method, f"This proposal takes one choice per ballot, not {len(parts)}."
                ) from None
            if len(parts) == 1 and parts[0] != body:
                return (_resolve(method, choices, parts[0]),)
            raise

    if method == "approval":
        seen: dict[int, None] = {}
        for part in _split(body, ","):
            index = _resolve(method, choices, part)
            if index in seen:
                raise _bad(method, f'"{choices[index].strip()}" is approved twice.')
            seen[index] = None
        if not seen:
            raise _bad(method, "Empty ballot: approve at least one choice.")
        return tuple(sorted(seen))

    if method == "ranked":
        order: list[int] = []
        for part in _split(body, ">,"):
            index = _resolve(method, choices, part)
            if index in order:
                raise _bad(method, f'"{choices[index].strip()}" is ranked twice.')
            order.append(index)
        if not order:
            raise _bad(method, "Empty ballot: rank at least one choice.")
        return tuple(order)

    # weighted, quadratic
    shares: dict[int, float] = {}
    parts = _split(body, ",")
    if len(parts) == 1 and "=" not in parts[0]:
        # A lone choice name is the whole share: "/vote 5 no" means no=100.
        return {_resolve(method, choices, parts[0]): 1.0}
    for part in parts:
        if "=" not in part:
            raise _bad(
                method,
                f'Give each choice a share, like a=70, b=30 ("{_show(part)}" has none).',
            )
        name_text, _, share_text = part.partition("=")
        index = _resolve(method, choices, name_text)
        name = choices[index].strip()
        if index in shares:
            raise _bad(method, f'"{name}" is given a share twice.')
        shares[index] = _parse_share(method, name, share_text)
    if not shares:
        raise _bad(method, "Empty ballot: give at least one choice a share.")
    return dict(sorted(shares.items()))


def ballot_usage(method: str) -> str:
    """The example form of a ballot for `method`, for error replies and /help."""
    return _USAGE[check_method(method)]


# --------------------------------------------------------------------------- validation


def validate_selection(method: str, selection: Any, n_choices: int | None = None) -> Selection:
    """Check that `selection` is a well-formed selection for `method`.

    Returns it unchanged (typed) or raises BadBallot. `n_choices`, when given, also
    bounds the indexes. Used by `decode_selection` (data that may come from outside:
    signed ballots, imports) and `encode_selection` (so nothing malformed is stored).
    """
    check_method(method)

    def index_ok(value: Any) -> bool:
        return type(value) is int and value >= 0 and (n_choices is None or value < n_choices)

    if method in _TUPLE_METHODS:
        if not isinstance(selection, tuple) or not selection:
            raise BadBallot(f"A {method} selection must be a non-empty tuple of indexes.")
        if not all(index_ok(v) for v in selection):
            raise BadBallot(f"A {method} selection holds an invalid choice index.")
        if method in ("single", "basic") and len(selection) != 1:
            raise BadBallot(f"A {method} selection names exactly one choice.")
        if method == "basic" and selection[0] > 2:
            raise BadBallot("A basic selection is 0 (for), 1 (against) or 2 (abstain).")
        if len(set(selection)) != len(selection):
            raise BadBallot(f"A {method} selection names a choice twice.")
        if method == "approval" and list(selection) != sorted(selection):
            raise BadBallot("An approval selection must be in ascending order.")
        return selection
    if not isinstance(selection, dict) or not selection:
        raise BadBallot(f"A {method} selection must be a non-empty mapping of shares.")
    for key, value in selection.items():
        if not index_ok(key):
            raise BadBallot(f"A {method} selection holds an invalid choice index.")
        if type(value) is not float or not math.isfinite(value) or value <= 0:
            raise BadBallot(f"A {method} selection's shares must be positive finite floats.")
    return selection


def validate_choices(choices: Sequence[str]) -> list[str]:
    """Check a proposal's choices; return them stripped and otherwise untouched.

    Refuses (BadArguments with the reason): fewer than 2 or more than 10 choices, an
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
    if len(names) > MAX_CHOICES:
        raise BadArguments(f"A proposal has at most {MAX_CHOICES} choices; got {len(names)}.")
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
                    f'Choice "{_show(name)}" contains "{ch}", which ballots use as a '
                    "separator; please reword it."
                )
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise BadArguments(f"Choice {number} contains a line break or control character.")
        key = _loose_key(name)
        if not key:
            raise BadArguments(f"Choice {number} has no visible characters.")
        if key.isdigit():
            raise BadArguments(
                f'Choice "{_show(name)}" is only digits; it would be confused with choice numbers.'
            )
        for other_key in (name.casefold(), key):
            if other_key in seen:
                first = seen[other_key]
                raise BadArguments(
                    f'Choices {first} and {number} are the same ("{_show(names[first - 1])}" '
                    f'and "{_show(name)}").'
                )
        seen[name.casefold()] = number
        seen[key] = number
    return names


# --------------------------------------------------------------------------- rendering


def _percent(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def format_selection(method: str, choices: Sequence[str], selection: Selection) -> str:
    """A selection in words, for receipts and "your vote" replies.

    ``yes``; ``a, c``; ``b > a > c``; ``yes=70%, no=30%`` (shares shown as their
    proportion of the ballot, which is what they mean, to one decimal).
    """
    validate_selection(method, selection, len(choices))
    names = [c.strip() for c in choices]
    if isinstance(selection, dict):
        total = sum(selection[i] for i in sorted(selection))
        return ", ".join(
            f"{names[i]}={_percent(selection[i] / total * 100)}%" for i in sorted(selection)
        )
    if method == "ranked":
        return " > ".join(names[i] for i in selection)
    return ", ".join(names[i] for i in selection)


# --------------------------------------------------------------------------- storage


def _as_float(value: int | float) -> float:
    """float(value), with integers too large for a float mapped to inf (which
    `validate_selection` then refuses) instead of raising OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def encode_selection(method: str, selection: Selection) -> list[Any]:
    """JSON-able form for storage and the audit log.

    A list of ints for single/basic/approval/ranked; a list of ``[index, share]``
    pairs in ascending index order for weighted/quadratic (a list, not an object,
    because JSON object keys are strings and their order is not canonical).
    Raises ValueError for a malformed selection: storing one would be a bug.
    """
    try:
        validate_selection(method, selection)
    except BadBallot as exc:
        raise ValueError(exc.message) from None
    if isinstance(selection, dict):
        return [[i, selection[i]] for i in sorted(selection)]
    return list(selection)


def decode_selection(method: str, data: Any, n_choices: int | None = None) -> Selection:
    """Inverse of `encode_selection` (exact round trip). Raises BadBallot if `data`
    is not a valid encoded selection (with indexes < `n_choices` when given)."""
    check_method(method)
    if not isinstance(data, list):
        raise BadBallot(f"An encoded {method} selection must be a list.")
    selection: Selection
    if method in _TUPLE_METHODS:
        selection = tuple(data)
    else:
        shares: dict[int, float] = {}
        for pair in data:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or type(pair[0]) is not int
                or type(pair[1]) not in (int, float)
            ):
                raise BadBallot(f"An encoded {method} selection holds a malformed pair.")
            if pair[0] in shares:
                raise BadBallot(f"An encoded {method} selection names a choice twice.")
            shares[pair[0]] = _as_float(pair[1])
        selection = shares
    return validate_selection(method, selection, n_choices)


def to_snapshot_choice(method: str, selection: Selection) -> int | list[int] | dict[str, Any]:
    """The ``choice`` field of Snapshot's ``Vote`` message (1-based indexes).

    single/basic: an int; approval/ranked: a list of ints; weighted/quadratic: an
    object ``{"1": 70, "2": 30}`` (whole shares as ints, as Snapshot's UI sends them).
    """
    validate_selection(method, selection)
    if isinstance(selection, dict):
        return {
            str(i + 1): int(v) if v.is_integer() and abs(v) < 2**53 else v
            for i, v in sorted(selection.items())
        }
    if method in ("single", "basic"):
        return selection[0] + 1
    return [i + 1 for i in selection]


def from_snapshot_choice(method: str, choice: Any, n_choices: int | None = None) -> Selection:
    """Inverse of `to_snapshot_choice`; raises BadBallot for anything malformed."""
    check_method(method)
    selection: Selection
    if method in ("single", "basic"):
        if type(choice) is not int:
            raise BadBallot(f"A {method} Snapshot choice must be an integer.")
        selection = (choice - 1,)
    elif method in _TUPLE_METHODS:
        if not isinstance(choice, list) or not all(type(v) is int for v in choice):
            raise BadBallot(f"A {method} Snapshot choice must be a list of integers.")
        selection = tuple(v - 1 for v in choice)
        if method == "approval":
            selection = tuple(sorted(selection))
    else:
        if not isinstance(choice, Mapping):
            raise BadBallot(f"A {method} Snapshot choice must be an object.")
        shares: dict[int, float] = {}
        for key, value in choice.items():
            if not isinstance(key, str) or not key.isascii() or not key.isdigit() or len(key) > 6:
                raise BadBallot(f"A {method} Snapshot choice has a malformed key.")
            if type(value) not in (int, float):
                raise BadBallot(f"A {method} Snapshot choice has a malformed share.")
            shares[int(key) - 1] = _as_float(value)
        selection = dict(sorted(shares.items()))
    return validate_selection(method, selection, n_choices)
