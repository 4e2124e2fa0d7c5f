"""Typed domain events: how one feature tells the others that something happened.

A feature publishes a frozen event (a ballot was cast, a battle rated, a proposal
closed, a reaction changed, a message posted); the features that care subscribe a
listener for that event's type in their `Feature`. Publishers never import their
subscribers, so reputation can count votes without voting knowing reputation exists.

Listeners run in subscription order. A listener's failure is logged with the event and
never breaks the publisher (a ballot stays stored even if crediting it failed). Checks
are the one exception by design: a check runs *before* an action and refuses it by
raising a domain error (e.g. a minimum reputation to propose).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from handlers.core.types import Posted, Reaction, Reply

if TYPE_CHECKING:
    from handlers.core.context import Context
    from handlers.core.deps import Deps
    from storage.records import MemberRecord, ProposalRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every published event."""


@dataclass(frozen=True, slots=True)
class ReactionChanged(DomainEvent):
    """A member added or removed a reaction on a message (any platform)."""

    context: Context
    reaction: Reaction


@dataclass(frozen=True, slots=True)
class MessagePosted(DomainEvent):
    """A member posted a message (only its reply relation is kept, never its text)."""

    context: Context
    posted: Posted


@dataclass(frozen=True, slots=True)
class BallotCast(DomainEvent):
    """A member's ballot on a proposal was stored (a replaced ballot is cast again)."""

    context: Context
    proposal: ProposalRecord
    voter: MemberRecord


@dataclass(frozen=True, slots=True)
class BattleRated(DomainEvent):
    """A member's first rating of an arena battle was stored."""

    context: Context
    battle: Any  # storage.repos.arena.BattleRecord
    rater: MemberRecord


@dataclass(frozen=True, slots=True)
class ProposalClosed(DomainEvent):
    """A proposal was closed and its result stored, exactly once."""

    proposal: ProposalRecord


@dataclass(frozen=True, slots=True)
class ProposalOpening(DomainEvent):
    """A member is about to open a proposal: checks may refuse it."""

    context: Context


E = TypeVar("E", bound=DomainEvent)
# A listener may answer with replies (routed like any other reply) or with None.
Listener = Callable[["Deps", Any], Awaitable[list[Reply] | None]]
Check = Callable[["Deps", Any], Awaitable[None]]


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

    async def publish(self, deps: Deps, event: DomainEvent) -> list[Reply]:
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

    async def check(self, deps: Deps, event: DomainEvent) -> None:
        """Run every check; the first refusal (a raised domain error) stops the action."""
        for check in self._checks.get(type(event), ()):
            await check(deps, event)
