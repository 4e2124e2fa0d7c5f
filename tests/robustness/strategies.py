"""Hypothesis strategies for hostile input: odd Unicode, huge strings, wrong types.

Shared by the dispatcher, console, Telegram and Discord fuzz tests.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from handlers.core.registry import CommandSpec

# Characters that have broken chat bots: bidi overrides, zero-width, combining marks,
# lone surrogates (valid in a Python str, not encodable as UTF-8), NUL and controls,
# our own markup markers, platform mention and markup syntax, digits that are not ASCII.
ODD_PIECES = [
    "\u202e",
    "\u200b",
    "\ufeff",
    "e\u0301",
    "𝕏",
    "👍🏽",
    "👨‍👩‍👧",
    "\ud800",
    "\udfff",
    "\x00",
    "\x02",
    "\x0e",
    "\x1b[31m",
    "\r\n",
    "@everyone",
    "@here",
    "<@123>",
    "<@&1>",
    "<#2>",
    "**",
    "`",
    "```",
    "<b>",
    "||",
    "|",
    "=",
    ">",
    ",",
    "%",
    "#1",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "nan",
    "inf",
    "٣",
    "²",
    "0x" + "f" * 40,
    "yes",
    "a",
    "method=ranked",
    "hours=0",
    "quorum=200%",
    "weight=token:0x0",
]

# every code point, lone surrogates included (st.text leaves those out by default)
any_text = st.text(st.characters(exclude_categories=[]), max_size=24)
odd = st.sampled_from(ODD_PIECES)
word = st.one_of(
    odd,
    odd,
    st.lists(odd, min_size=2, max_size=4).map("".join),
    any_text,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
# huge inputs, built by repetition so hypothesis need not generate megabytes
huge = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["é|", "a ", "\u202e", "1,", "\ud800"]),
    st.integers(2_000, 60_000),
)
arg_text = st.one_of(st.lists(word, max_size=10).map(" ".join), huge)


def command_text(spec: CommandSpec) -> st.SearchStrategy[str]:
    """Text arguments shaped like the command's own: one value per parameter, and for
    /propose its `title | choice | choice key=value` grammar; or anything at all."""
    shaped = st.tuples(*[word for _ in spec.params]).map(" ".join) if spec.params else word
    propose = st.builds(
        lambda title, choices, options: " | ".join([title, *choices]) + " " + " ".join(options),
        word,
        st.lists(word, min_size=1, max_size=5),
        st.lists(
            st.builds("{}={}".format, st.sampled_from([p.name for p in spec.params]), word),
            max_size=3,
        ),
    )
    return st.one_of(shaped, propose if spec.name == "propose" else shaped, arg_text)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.sampled_from(ODD_PIECES),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def options_for(spec: CommandSpec) -> st.SearchStrategy[dict[str, Any]]:
    """Typed options as a slash-command platform sends them, with wrong types and names."""
    names = [p.name for p in spec.params] or ["x"]
    key = st.one_of(st.sampled_from(names), any_text)
    return st.dictionaries(key, st.one_of(word, json_value), max_size=len(names) + 1)


def _slots(doc: Any, keep: frozenset[str]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) inside `doc` but the kept keys and all below them."""
    found: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if key in keep:
                continue
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


@st.composite
def mutated(
    draw: st.DrawFn,
    payload: dict[str, Any],
    keep: frozenset[str] = frozenset(),
    *,
    retype: bool = True,
    drop: bool = True,
) -> dict[str, Any]:
    """A platform payload with 1-4 fields dropped, retyped or filled with hostile text.

    Keys in `keep` (fields the platform always sends, e.g. a message's chat) and
    everything below them are left as they are. `retype=False` keeps every
    value's JSON type (hostile text only replaces text): for platforms whose own library
    trusts the documented types; `drop=False` keeps every field."""
    doc = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(doc, keep)
        if not slots:
            break
        parent, key = draw(st.sampled_from(slots))
        actions = ["text"] + (["retype"] if retype else []) + (["drop"] if drop else [])
        action = draw(st.sampled_from(actions))
        if action == "drop" and isinstance(parent, dict):
            del parent[key]
        elif not retype and not isinstance(parent[key], str):
            continue
        elif action == "text":
            parent[key] = draw(st.one_of(word, huge))
        else:
            parent[key] = draw(json_value)
    return doc
