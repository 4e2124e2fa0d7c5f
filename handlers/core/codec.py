"""The button id codec: `gov:<action>:<arg>…`, at most 64 bytes.

64 bytes is Telegram's callback_data limit (Discord allows 100), so one codec serves
both and a button keeps working after a restart: everything it needs is in its id.
"""

from __future__ import annotations

from handlers.core.errors import BadArguments

PREFIX = "gov"
MAX_BYTES = 64


def encode(action: str, args: tuple[str, ...] = ()) -> str:
    """Encode an action and its args; refuses ids that would not fit or not round-trip."""
    if not action:
        raise ValueError("a button needs an action")
    parts = (PREFIX, action, *args)
    if any(":" in part for part in parts[1:]):
        raise ValueError(f"button parts may not contain ':' ({parts!r})")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button id over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> tuple[str, tuple[str, ...]]:
    """Decode a button id into (action, args); anything else is a BadArguments refusal."""
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != PREFIX or not parts[1] or len(data.encode()) > MAX_BYTES:
        raise BadArguments("That button is not one of govbot's.")
    return parts[1], tuple(parts[2:])
