"""Which categories a battle's prompt carries: given, imported, or matched by the table.

FastChat ranks per category (coding, math, creative writing…) because a model's rank
depends on what it is asked; the same here. A prompt's categories are the union of those
given with `/arena category=…`, those of its imported pair, and those whose regexes (the
`arena.categories` setting, case-insensitive) match the prompt. Export writes them as
FastChat's `category_tag` (`{"<name>_v0.1": {"<name>": true}}`) and import reads that back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

OPTION = re.compile(r"^\s*category=(\S*)\s*", re.IGNORECASE)
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
TAG_SUFFIX = "_v0.1"


def split_option(text: str) -> tuple[list[str] | None, str]:
    """`category=a,b rest` → (["a", "b"], "rest"); no option → (None, text)."""
    match = OPTION.match(text)
    if match is None:
        return None, text
    names = [n.strip().lower() for n in match[1].split(",") if n.strip()]
    return names, text[match.end() :]


def unknown(names: Iterable[str], table: Mapping[str, Sequence[str]]) -> list[str]:
    return [n for n in names if n not in table]


def matched(prompt: str, table: Mapping[str, Sequence[str]]) -> list[str]:
    """Categories whose regexes match the prompt."""
    return sorted(
        name
        for name, patterns in table.items()
        if any(re.search(p, prompt, re.IGNORECASE) for p in patterns)
    )


def assign(
    prompt: str,
    table: Mapping[str, Sequence[str]],
    given: Iterable[str] = (),
    imported: Iterable[str] = (),
) -> tuple[str, ...]:
    return tuple(sorted(set(given) | set(imported) | set(matched(prompt, table))))


REPLY_CHARS = 400
"""Only the start of a classifying model's reply is read (it was asked for a few names)."""
_ITEM_SEPARATORS = re.compile(r"[,;\n|/]+|\band\b")
_ITEM_TRIM = re.compile(r"^[\s\"'`*\-•.:]+|[\s\"'`*\-•.:]+$")


def from_model_reply(reply: str, table: Mapping[str, Sequence[str]]) -> list[str]:
    """The table's categories a classifying model's reply lists.

    The reply is untrusted text (the prompt it classified is anyone's): it is read as a
    list of items ("coding, math", "- Creative writing"), and an item counts only when it
    is exactly one of the configured names (spaces and hyphens read as `_`); anything
    else — an unknown category, a sentence, "none" — adds nothing.
    """
    found = set()
    for item in _ITEM_SEPARATORS.split(reply[:REPLY_CHARS].lower()):
        name = re.sub(r"[\s-]+", "_", _ITEM_TRIM.sub("", item))
        if name in table:
            found.add(name)
    return sorted(found)


def classify_prompt(prompt: str, table: Mapping[str, Sequence[str]]) -> str:
    """What the classifying model is asked."""
    return (
        "Which of these categories does the request below belong to: "
        + ", ".join(sorted(table))
        + ". Answer with the matching category names only, or none.\n\nRequest:\n"
        + prompt
    )


def category_tag(categories: Iterable[str], table: Iterable[str] = ()) -> dict[str, Any]:
    """FastChat's `category_tag`: one `<name>_v0.1` entry per known or carried category."""
    carried = set(categories)
    return {f"{n}{TAG_SUFFIX}": {n: n in carried} for n in sorted(carried | set(table))}


def from_category_tag(tag: object) -> list[str]:
    """Categories a FastChat `category_tag` marks true (any `{name: true}` entry)."""
    found: set[str] = set()
    if not isinstance(tag, Mapping):
        return []
    for key, value in tag.items():
        if isinstance(value, Mapping):
            for inner, flag in value.items():
                if flag is True and NAME.fullmatch(str(inner)):
                    found.add(str(inner))
        elif value is True and NAME.fullmatch(str(key)):
            found.add(str(key))
    return sorted(found)
