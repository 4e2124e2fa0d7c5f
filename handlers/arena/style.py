"""Style features of a battle's two outputs, as FastChat's style control defines them.

Why: voters prefer longer, more formatted answers whatever their content, so a
leaderboard that does not account for it rewards verbosity. Each battle stores, for
both outputs, the counts FastChat's `conv_metadata` carries (its
`add_markdown_info.count_markdown_elements` regexes, code blocks removed first):

* `sum_assistant_{a,b}_tokens` — the output's length in tokens. FastChat counts
  tokenizer tokens; we count words and punctuation marks (`\\w+|[^\\w\\s]`), which
  needs no tokenizer and is proportional to it for the ratio below;
* `header_count_{a,b}` — `{"h1": …, …, "h6": …}` lines starting with 1–6 `#`;
* `list_count_{a,b}` — `{"ordered": …, "unordered": …}` list items;
* `bold_count_{a,b}` — `{"**": …, "__": …}` bold spans.

`features` turns them into the fit's covariates exactly as FastChat's
`preprocess_for_style` does: per element, (a − b) / (a + b + 1), then standardised
to mean 0 and sd 1 over the battles being fitted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

ELEMENTS = ("sum_assistant_{}_tokens", "header_count_{}", "list_count_{}", "bold_count_{}")
"""FastChat's STYLE_CONTROL_ELEMENTS_V1, one template per element and side."""
ELEMENT_NAMES = ("length", "headers", "lists", "bold")
"""What each coefficient is shown as."""

_CODE = re.compile("```([^`]*)```")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADERS = tuple(re.compile(rf"^#{{{n}}}\s", re.MULTILINE) for n in range(1, 7))
_ORDERED = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
_UNORDERED = re.compile(r"^\s*[-*+]\s", re.MULTILINE)
_BOLD_STARS = re.compile(r"\*\*[^*\n]+\*\*")
_BOLD_UNDERSCORES = re.compile(r"__[^_\n]+__")


def token_count(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free stand-in for the token count."""
    return len(_TOKEN.findall(text))


def markdown_counts(text: str, side: str) -> dict[str, dict[str, int]]:
    """FastChat's header, list and bold counts of one output (code blocks removed)."""
    for block in _CODE.findall(text):
        text = text.replace(block, "")
    return {
        f"header_count_{side}": {
            f"h{n}": len(pattern.findall(text)) for n, pattern in enumerate(_HEADERS, 1)
        },
        f"list_count_{side}": {
            "ordered": len(_ORDERED.findall(text)),
            "unordered": len(_UNORDERED.findall(text)),
        },
        f"bold_count_{side}": {
            "**": len(_BOLD_STARS.findall(text)),
            "__": len(_BOLD_UNDERSCORES.findall(text)),
        },
    }


def style_metadata(output_a: str, output_b: str) -> dict[str, Any]:
    """The battle's `conv_metadata` (FastChat's keys) for outputs A and B."""
    meta: dict[str, Any] = {
        "sum_assistant_a_tokens": token_count(output_a),
        "sum_assistant_b_tokens": token_count(output_b),
    }
    meta |= markdown_counts(output_a, "a")
    meta |= markdown_counts(output_b, "b")
    return meta


def _value(meta: Mapping[str, Any], key: str) -> int:
    value = meta.get(key, 0)
    if isinstance(value, Mapping):
        return int(sum(value.values()))
    return int(value or 0)


def raw_counts(metas: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
    """(battles, 8): the four element totals of A, then of B (FastChat's order)."""
    out = np.zeros((len(metas), 2 * len(ELEMENTS)))
    for i, meta in enumerate(metas):
        for j, template in enumerate(ELEMENTS):
            out[i, j] = _value(meta, template.format("a"))
            out[i, j + len(ELEMENTS)] = _value(meta, template.format("b"))
    return out


def features_from_counts(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """(a − b) / (a + b + 1) per element, standardised over the battles (FastChat's).

    An element that never varies (sd 0) is left at 0 rather than divided by zero, so a
    set without any markdown still fits (FastChat would produce NaN there).
    """
    k = counts.shape[1] // 2
    a, b = counts[:, :k], counts[:, k:]
    diff = (a - b) / (a + b + 1.0)
    mean = diff.mean(axis=0) if len(diff) else np.zeros(k)
    sd = diff.std(axis=0) if len(diff) else np.ones(k)
    safe = np.where(sd > 0, sd, 1.0)
    return np.asarray(np.where(sd > 0, (diff - mean) / safe, 0.0), dtype=np.float64)


def features(metas: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
    """The fit's covariates (battles, 4) from each battle's `conv_metadata`."""
    return features_from_counts(raw_counts(metas))
