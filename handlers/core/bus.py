"""The event bus: listeners and checks by event type (the events are in `events.py`).

Kept apart from the event types so that `Deps` can hold the bus without importing the
events, which refer to the per-event `Context` (and so, through it, to `Deps`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from handlers.core.types import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every published event."""


# (deps, event): the first argument is the `Deps` (not imported here, see above). A
# listener may answer with replies (routed like any other reply) or with None.
Listener = Callable[[Any, Any], Awaitable[list[Reply] | None]]
Check = Callable[[Any, Any], Awaitable[None]]


class EventBus:
    """Listeners and checks by event type, filled from the features at start-up."""

    def __init__(self) -> None:
        self._listeners: dict[type[DomainEvent], list[Listener]] = defaultdict(list)
        self._checks: dict[type[DomainEvent], list[Check]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], listener: Listener) -> None:
        if listener not in self._listeners[event_type]:
            self._listeners[event_type].append(listener)

    def add_check(self, event_type: type[DomainEvent], check: Check) -> None:
        if check not in self._checks[event_type]:
            self._checks[event_type].append(check)

    def listeners(self, event_type: type[DomainEvent]) -> Iterable[Listener]:
        return tuple(self._listeners.get(event_type, ()))

    async def publish(self, deps: Any, event: DomainEvent) -> list[Reply]:
        """Tell every subscriber; a failing one is logged and skipped."""
        replies: list[Reply] = []
        for listener in self._listeners.get(type(event), ()):
            try:
                answered = await listener(deps, event)
            except Exception:
                log.exception(
                    "listener failed event=%s listener=%s",
                    type(event).__name__,
                    getattr(listener, "__qualname__", repr(listener)),
                )
                continue
            if answered:
                replies.extend(answered)
        return replies

    async def check(self, deps: Any, event: DomainEvent) -> None:
        """Run every check; the first refusal (a raised domain error) stops the action."""
        for check in self._checks.get(type(event), ()):
            await check(deps, event)
