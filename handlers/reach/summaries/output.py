"""The model's answer made safe to post: it can never ping anyone, run a command or
inject markup, whatever the model (or a message it read) asked for.

Here, for every platform: our markup markers and control characters are stripped
(`clean`), every `@` gets a word joiner after it (so `@everyone`, `@here`, `@name` and
Discord's `<@123>` are inert text), and every `/command` at a word start gets one after
its slash (Telegram turns `/close` into a tappable command; this one is not). Then each
adapter escapes the text for its platform — Discord backslash-escapes markdown and sends
with mentions disallowed, Telegram HTML-escapes — so `**`, `<b>` and links show as typed.
"""

from __future__ import annotations

import re

from handlers.core.markup import clean

JOINER = "\u2060"  # WORD JOINER: invisible, breaks mentions and command entities
_AT = re.compile("@(?!\u2060)")
_COMMAND = re.compile(r"(?<![\w/])/(?=[A-Za-z0-9_])")
_BLANK_LINES = re.compile(r"\n{3,}")


def neutralise(text: str, limit: int) -> str:
    """The model's text, defused and cut to `limit` characters."""
    safe = clean(text).replace("\r\n", "\n").strip()
    safe = _AT.sub("@" + JOINER, safe)
    safe = _COMMAND.sub("/" + JOINER, safe)
    safe = _BLANK_LINES.sub("\n\n", safe)
    if len(safe) > limit:
        safe = safe[: limit - 1].rstrip() + "…"
    return safe
