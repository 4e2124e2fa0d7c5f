"""Keep one malformed gateway event from taking the whole Discord connection down.

discord.py hands each dispatch to a parser (`ConnectionState.parsers`, e.g.
`parse_interaction_create`) that trusts the documented shape: a missing field or a
snowflake that is not a number raises, the exception escapes the shard's poll loop and
`AutoShardedClient.connect` turns it into a *terminate* — the client closes and
`start()` raises, so every later interaction goes unanswered. Wrapping each parser
contains the damage to that one event: it is logged (the event name, the
error type and message — no payload, which may carry tokens) and dropped. The event
cannot be answered (discord.py never built an Interaction for it); the next one is.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

GUARDED = "__govbot_guarded__"


def _guarded(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    @functools.wraps(parse)
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as error:  # a library parse failure: drop this event only
            log.warning(
                "discord dropped a malformed %s event: %s: %s",
                event,
                type(error).__name__,
                str(error)[:200],
            )

    setattr(guarded, GUARDED, True)
    return guarded


def guard_parsers(state: Any) -> None:
    """Wrap every parser of `state` (a discord.py ConnectionState) in place, once.

    In place because each gateway connection reads this very dict
    (`DiscordWebSocket.from_client`: `ws._discord_parsers = client._connection.parsers`)."""
    parsers: dict[str, Callable[[Any], None]] = state.parsers
    for event, parse in list(parsers.items()):
        if not getattr(parse, GUARDED, False):
            parsers[event] = _guarded(event, parse)
