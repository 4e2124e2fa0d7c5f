"""Reply markup → Telegram HTML, cut to Telegram's limits without breaking a tag.

`handlers.core.markup` gives the tiny markup (bold, code, block markers around user text that
was cleaned at the door). Here it becomes Telegram's HTML parse mode with three extra
guarantees the generic `to_html` cannot give:

* every chunk is well-formed on its own: a message over 4,096 characters is split at line
  breaks, and tags open at a cut are closed and re-opened in the next chunk;
* mentions never ping: `@name` outside code gets a word joiner after the `@`, so
  Telegram shows it as text and notifies nobody;
* lengths are counted as Telegram counts them — visible characters after entity
  parsing, in UTF-16 units — so a chunk never bounces with "message is too long".
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.core.codec import encode
from handlers.core.markup import (
    BLOCK_CLOSE,
    BLOCK_OPEN,
    BOLD_CLOSE,
    BOLD_OPEN,
    CODE_CLOSE,
    CODE_OPEN,
    clean,
    to_plain,
)
from handlers.core.types import Button

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ANSWER_LIMIT = 200  # answerCallbackQuery text
BUTTON_LABEL_LIMIT = 64
WORD_JOINER = "\u2060"

_OPEN = {BOLD_OPEN: "b", CODE_OPEN: "code", BLOCK_OPEN: "pre"}
_CLOSE = {BOLD_CLOSE: "b", CODE_CLOSE: "code", BLOCK_CLOSE: "pre"}
_MARKER = re.compile("([" + "".join(_OPEN) + "".join(_CLOSE) + "])")
_MENTION = re.compile(r"(?<![\w@])@(?=\w)")
_TAGS = re.compile(r"<[^<>]*>")
_LITERAL = ("code", "pre")  # Telegram: no other entity inside these


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(rendered: str) -> int:
    """Length of rendered HTML as the member sees it (tags dropped, entities decoded)."""
    return utf16_len(html.unescape(_TAGS.sub("", rendered)))


def _escape(piece: str, literal: bool) -> str:
    escaped = html.escape(piece, quote=False)
    return escaped if literal else _MENTION.sub("@" + WORD_JOINER, escaped)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """("open"|"close", tag) and ("text", raw) tokens, made balanced and Telegram-legal.

    A close without its open is dropped; markup inside code/pre is dropped (Telegram
    allows no entity there); whatever is still open at the end is closed by the caller.
    """
    stack: list[str] = []
    for piece in _MARKER.split(text):
        if piece in _OPEN:
            tag = _OPEN[piece]
            if tag in stack or any(t in _LITERAL for t in stack):
                continue
            stack.append(tag)
            yield "open", tag
        elif piece in _CLOSE:
            tag = _CLOSE[piece]
            if not stack or stack[-1] != tag:
                continue
            stack.pop()
            yield "close", tag
        elif piece:
            yield "text", piece


def to_telegram_html(text: str) -> str:
    """The whole text as one HTML string (no length limit applied)."""
    return "".join(html_chunks(text, limit=None)) if text else ""


def html_chunks(text: str, limit: int | None = TEXT_LIMIT) -> list[str]:
    """Render `text` into well-formed HTML chunks of at most `limit` visible characters.

    Cuts prefer line breaks, then spaces; tags open at a cut close at the end of the
    chunk and re-open at the start of the next, so each message renders as intended.
    """
    chunks: list[str] = []
    stack: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        body = "".join(current) + "".join(f"</{tag}>" for tag in reversed(stack))
        if html.unescape(_TAGS.sub("", body)).strip():
            chunks.append(body)
        current = [f"<{tag}>" for tag in stack]
        size = 0

    for kind, value in _tokens(text):
        if kind == "open":
            stack.append(value)
            current.append(f"<{value}>")
            continue
        if kind == "close":
            stack.pop()
            current.append(f"</{value}>")
            continue
        literal = any(tag in _LITERAL for tag in stack)
        for line in value.splitlines(keepends=True):
            while line:
                length = utf16_len(line)
                if limit is None or size + length <= limit:
                    current.append(_escape(line, literal))
                    size += length
                    break
                if size:
                    flush()  # cut at the line break; a longer line starts its own chunk
                    continue
                cut = _cut(line, limit)
                current.append(_escape(line[:cut], literal))
                size += utf16_len(line[:cut])
                flush()
                line = line[cut:]
    while stack:
        current.append(f"</{stack.pop()}>")
    flush()
    return chunks


def _cut(line: str, room: int) -> int:
    """How many characters of `line` fit in `room` UTF-16 units, preferring a space."""
    fit = 0
    used = 0
    for char in line:
        used += utf16_len(char)
        if used > room:
            break
        fit += 1
    space = line.rfind(" ", 0, fit)
    return space + 1 if space > fit // 2 else max(fit, 1)


def fit_html(text: str, limit: int = TEXT_LIMIT) -> str:
    """One message no longer than `limit`: a card must stay one editable message.

    The longest line (a card's description) is shortened with "…" until the card fits,
    so the choices, tally and vote hint below it always stay visible.
    """
    lines = text.split("\n")
    for _ in range(50):
        rendered = to_telegram_html("\n".join(lines))
        over = visible_length(rendered) - limit
        if over <= 0:
            return rendered
        index = max(range(len(lines)), key=lambda i: len(lines[i]))
        plain = clean(lines[index])
        if len(plain) <= 1:
            break
        lines[index] = plain[: max(0, len(plain) - over - 1)] + "…"
    chunks = html_chunks(text, limit)
    return chunks[0] if chunks else ""


def plain_short(text: str, limit: int = ANSWER_LIMIT) -> str:
    """Markup → plain text of at most `limit` characters (callback answers, notices)."""
    plain = to_plain(text).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def first_line(text: str) -> str:
    return to_plain(text).strip().split("\n", 1)[0]


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Inline keyboard rows; short labels share a row. Callback data use the `gov:` codec."""
    if not buttons:
        return None
    labels = [plain_short(b.label, BUTTON_LABEL_LIMIT) or "·" for b in buttons]
    longest = max(len(label) for label in labels)
    per_row = 3 if longest <= 12 else 2 if longest <= 24 else 1
    items = [
        InlineKeyboardButton(label, callback_data=encode(button.action, button.args))
        for label, button in zip(labels, buttons, strict=True)
    ]
    rows = [items[i : i + per_row] for i in range(0, len(items), per_row)]
    return InlineKeyboardMarkup(rows)
