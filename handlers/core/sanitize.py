"""Make every string in an incoming event storable: no lone surrogates, no NUL.

Platform payloads are JSON, and JSON may carry `"\\ud800"`: Python decodes it to a lone
surrogate, a valid `str` that cannot be encoded as UTF-8, so the first database write
of a name, a command argument or a reaction emoji holding one failed with an unhandled
UnicodeEncodeError (found by tests/robustness fuzzing). PostgreSQL also refuses NUL in
text. The dispatcher passes each event through `sanitize_event` first, so handlers and
storage only ever see encodable text; both become U+FFFD, visibly "something was here".
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from handlers.core.types import Event

_BAD = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    return _BAD.sub("\ufffd", text) if _BAD.search(text) else text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = _clean(old)
            if new is not old and new != old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


_SCALARS = (type(None), int, float, bool)


def _dirty(value: Any) -> bool:
    """Any bad character anywhere in the event? Runs on every event, so it is kept cheap:
    exact type checks first and the dataclass field names read straight off the class."""
    kind = type(value)
    if kind is str:
        return _BAD.search(value) is not None
    if kind in _SCALARS:
        return False
    names = getattr(kind, "__dataclass_fields__", None)
    if names is not None:
        return any(_dirty(getattr(value, name)) for name in names)
    if kind is tuple or kind is list:
        return any(_dirty(v) for v in value)
    if kind is dict:
        return any(_dirty(k) or _dirty(v) for k, v in value.items())
    return isinstance(value, str) and _BAD.search(value) is not None


# In repr() a NUL shows as \x00 and a lone surrogate as \udXXX, so one regex over the repr
# rules out the common clean event cheaply; a match (or text that merely looks like one)
# goes on to the exact walk.
_MAYBE_BAD_REPR = re.compile(r"\\x00|\\ud[89a-f]")


def sanitize_event(event: Event) -> Event:
    """The event itself when it is clean (the common case), else a cleaned copy."""
    if _MAYBE_BAD_REPR.search(repr(event)) is None:
        return event
    return _clean(event) if _dirty(event) else event
