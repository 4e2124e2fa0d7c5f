"""The tiny reply markup: bold, inline code and code blocks, rendered per platform.

Handlers build reply text with `bold()`, `code()` and `block()`; everything else is
plain text. The markers are control characters that `clean()` strips from every piece
of user text at the door, so a member can never inject markup: `<b>`, `**`, `@everyone`
all arrive on the platform as literal text, escaped for its parse mode.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

BOLD_OPEN, BOLD_CLOSE = "\x02", "\x03"
CODE_OPEN, CODE_CLOSE = "\x10", "\x11"
BLOCK_OPEN, BLOCK_CLOSE = "\x0e", "\x0f"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"(\x02|\x03|\x10|\x11|\x0e|\x0f)")
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>#\[\]()<:@-])")
# A bare web address Discord turns into a link by itself; escaping its characters
# (`https\://`) would break the link, and markdown is not applied inside it anyway.
_DISCORD_URL = re.compile(r"(https?://[^\s<>()\[\]`*|~]+)")


def clean(text: str) -> str:
    """Strip control characters (our markers among them) from user text; keep all else."""
    return _CONTROL.sub("", text)


def bold(text: str) -> str:
    return f"{BOLD_OPEN}{text}{BOLD_CLOSE}"


def code(text: str) -> str:
    return f"{CODE_OPEN}{text}{CODE_CLOSE}"


def block(text: str) -> str:
    return f"{BLOCK_OPEN}{text}{BLOCK_CLOSE}"


_MODES = {BLOCK_OPEN: "block", CODE_OPEN: "code", BLOCK_CLOSE: "", CODE_CLOSE: ""}


def _render(text: str, escape: Callable[[str, str], str], marks: dict[str, str]) -> str:
    """Markers via `marks`; user text via `escape(piece, mode)`, mode being "block" in a
    code block, "code" in inline code, else ""."""
    out: list[str] = []
    mode = ""
    for piece in _TOKEN.split(text):
        if piece in marks:
            mode = _MODES.get(piece, mode)
            out.append(marks[piece])
        elif piece:
            out.append(escape(piece, mode))
    return "".join(out)


def to_plain(text: str) -> str:
    """Console and logs: markers dropped, code blocks fenced on their own lines."""
    marks = {
        BOLD_OPEN: "",
        BOLD_CLOSE: "",
        CODE_OPEN: "",
        CODE_CLOSE: "",
        BLOCK_OPEN: "\n```\n",
        BLOCK_CLOSE: "\n```\n",
    }
    rendered = _render(text, lambda s, _b: s, marks)
    return re.sub(r"\n{3,}", "\n\n", rendered).strip("\n")


def to_html(text: str) -> str:
    """Telegram's HTML parse mode: every user character escaped, markers as tags."""
    marks = {
        BOLD_OPEN: "<b>",
        BOLD_CLOSE: "</b>",
        CODE_OPEN: "<code>",
        CODE_CLOSE: "</code>",
        BLOCK_OPEN: "<pre>",
        BLOCK_CLOSE: "</pre>",
    }
    return _render(text, lambda s, _b: html.escape(s, quote=False), marks)


def to_discord(text: str) -> str:
    """Discord markdown: user text backslash-escaped, code blocks kept literal."""
    marks = {
        BOLD_OPEN: "**",
        BOLD_CLOSE: "**",
        CODE_OPEN: "`",
        CODE_CLOSE: "`",
        BLOCK_OPEN: "```\n",
        BLOCK_CLOSE: "\n```",
    }

    def escape(piece: str, mode: str) -> str:
        # Discord shows code verbatim (an escaping backslash there would show), so inside
        # code only what could end it early is neutralised.
        if mode == "block":
            return piece.replace("```", "`\u200b``")
        if mode == "code":
            return piece.replace("`", "\u02cb")
        return "".join(
            part if i % 2 else _DISCORD_SPECIAL.sub(r"\\\1", part)
            for i, part in enumerate(_DISCORD_URL.split(piece))
        )

    return _render(text, escape, marks)


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, at line breaks if possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n") if cut < limit else rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks
