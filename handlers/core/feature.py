"""The Feature contract: everything one capability adds to govbot, in one object.

Each feature package (`handlers/<feature>/feature.py`) exposes `FEATURE`; the
composition root (`bot/app.py`) collects them, so a new capability is a new folder and
one line in the list of features, never edits scattered over the dispatcher and Deps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.core.bus import Check, DomainEvent, Listener
from handlers.core.types import CardKey, Reply

if TYPE_CHECKING:
    from pydantic import BaseModel

    from handlers.core.deps import Deps
    from handlers.core.registry import Registry
    from handlers.voting.strategies import StrategyFactory

    StrategyBuilder = Callable[[Deps], StrategyFactory]

CardRenderer = Callable[["Deps", CardKey], Awaitable[Reply | None]]
JobRun = Callable[["Deps"], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """A platform asks what to offer for a parameter while the member types (autocomplete)."""

    community_id: int
    typed: str
    options: Mapping[str, Any]  # the command's other options filled in so far
    max_items: int = 25
    max_label: int = 100


Completer = Callable[["Deps", CompletionRequest], Awaitable[list[tuple[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Job:
    """Work the scheduler runs on an interval; replies it returns are routed to platforms.

    `every` names the settings attribute path of the interval (so an operator tunes it
    in one place) or is a number of seconds.
    """

    name: str
    run: JobRun
    every: float | Callable[[Any], float] = 30.0  # seconds, or settings → seconds
    at_start: bool = True  # also run once at start-up (work that fell due while down)


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    commands: Registry | None = None  # its commands and button presses
    listeners: Mapping[type[DomainEvent], Sequence[Listener]] = field(default_factory=dict)
    checks: Mapping[type[DomainEvent], Sequence[Check]] = field(default_factory=dict)
    jobs: Sequence[Job] = ()
    cards: Mapping[str, CardRenderer] = field(default_factory=dict)  # live cards by kind
    strategies: Mapping[str, StrategyBuilder] = field(default_factory=dict)  # weight= names
    completers: Mapping[str, Completer] = field(default_factory=dict)  # by Param.autocomplete
    settings: type[BaseModel] | None = None  # its section of the settings tree
    doc: str = ""
