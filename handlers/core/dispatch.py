"""Turns one neutral event into replies through an explicit chain of steps.

Every event passes the same steps, in order (aiogram's middleware idea):

    observe → sanitise → fan out → refusals → resolve → rate limit → run

`resolve` finds what the event asks for (a command parsed and checked against its
declaration, a button's handler, or a platform fact such as a reaction, published as a
domain event); `rate limit` holds back members who write too fast; `refusals` is the
only place a handler's exception becomes a reply, so every platform gets the same
answers: a domain error becomes its one-line reason plus the right usage; anything else
is logged with an error id and the event, and the member gets a short apology with that
id (never a stack trace). Extra steps (the community feature's fan-out of card
refreshes to other platforms) are given by the composition root.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, DomainError, NotAllowed, UnknownCommand, WrongPlace
from handlers.core.events import JoinRequested, MessagePosted, ReactionChanged
from handlers.core.markup import clean
from handlers.core.ratelimit import RateLimited, RateLimiter
from handlers.core.sanitize import sanitize_event
from handlers.core.types import (
    CardKey,
    Command,
    Event,
    JoinRequest,
    Posted,
    Press,
    Reaction,
    Reply,
)

log = logging.getLogger(__name__)

MAX_COMMAND_TEXT = 8000

CardRenderer = Callable[[Deps, CardKey], Awaitable[Reply | None]]
# Called after every event with (event, replies, seconds, outcome); outcome is "ok",
# "refused" (a domain error), "limited" (rate limit) or "error" (unhandled). bot/metrics.py
# registers one, so handlers never import prometheus. Observers must be fast and not raise.
Observer = Callable[[Event, list[Reply], float, str], None]


@dataclass
class Turn:
    """One event on its way through the chain; steps fill in what they learn."""

    event: Event
    deps: Deps
    ctx: Context | None = None
    run: Callable[[], Awaitable[list[Reply]]] | None = None  # set by `resolve`
    writes: bool = False  # a state-changing command or press: rate limited
    started: float = field(default_factory=time.perf_counter)

    def context(self) -> Context:
        if self.ctx is None:
            self.ctx = Context(self.event, self.deps)
        return self.ctx


Next = Callable[[Turn], Awaitable[list[Reply]]]
Step = Callable[[Turn, Next], Awaitable[list[Reply]]]


class Dispatcher:
    """The chain, plus the card bookkeeping adapters share."""

    def __init__(
        self,
        deps: Deps,
        *,
        cards: Mapping[str, CardRenderer] | None = None,
        extra_steps: Sequence[Step] = (),
    ) -> None:
        self.deps = deps
        self.registry = deps.registry
        self.card_renderers: dict[str, CardRenderer] = dict(cards or {})
        self.observers: list[Observer] = []
        self.limiter = RateLimiter(deps.limits, deps.clock)
        self.steps: list[Step] = [
            self._observe,
            _sanitise,
            *extra_steps,
            _refusals,
            self._resolve,
            self._rate_limit,
        ]

    async def handle(self, event: Event) -> list[Reply]:
        turn = Turn(event, self.deps)
        return await self._step(0)(turn)

    def _step(self, index: int) -> Next:
        if index == len(self.steps):
            return _run

        async def call(turn: Turn) -> list[Reply]:
            return await self.steps[index](turn, self._step(index + 1))

        return call

    # ----- steps -----------------------------------------------------------------------
    async def _observe(self, turn: Turn, next_: Next) -> list[Reply]:
        replies = await next_(turn)
        if self.observers:
            seconds = time.perf_counter() - turn.started
            outcome = _outcome(replies)
            for observer in self.observers:
                try:
                    observer(turn.event, replies, seconds, outcome)
                except Exception:
                    log.exception("dispatch observer failed")
        return replies

    async def _resolve(self, turn: Turn, next_: Next) -> list[Reply]:
        ctx = turn.context()
        payload = turn.event.payload
        match payload:
            case Command():
                spec, args = self._parse(ctx, payload)
                turn.writes = spec.writes
                turn.run = lambda: spec.handler(ctx, args)
            case Press():
                handler = self.registry.presses.get(payload.action)
                if handler is None:
                    raise BadArguments("That button no longer does anything.")
                turn.writes = True  # presses write (votes, ratings): limited like commands
                press_args = payload.args
                turn.run = lambda: handler(ctx, press_args)
            case Reaction():
                reaction = ReactionChanged(ctx, payload)
                turn.run = lambda: self.deps.events.publish(self.deps, reaction)
            case Posted():
                posted = MessagePosted(ctx, payload)
                turn.run = lambda: self.deps.events.publish(self.deps, posted)
            case JoinRequest():
                asked = JoinRequested(ctx, payload)
                turn.run = lambda: self.deps.events.publish(self.deps, asked)
            case _:
                raise TypeError(f"unknown payload {type(payload).__name__}")
        return await next_(turn)

    def _parse(self, ctx: Context, command: Command):  # type: ignore[no-untyped-def]
        spec = self.registry.get(command.name)
        if spec is None or not spec.available_on(ctx.actor.platform):
            raise UnknownCommand(f"Unknown command /{clean(command.name)[:40]}. Try /help.")
        if command.options is not None:
            options = {k: clean(v) if isinstance(v, str) else v for k, v in command.options.items()}
            args = spec.bind(options)
        else:
            text = clean(command.text)
            if len(text) > MAX_COMMAND_TEXT:
                raise BadArguments(
                    f"That command is {len(text):,} characters long; the limit is "
                    f"{MAX_COMMAND_TEXT:,}.",
                    usage=spec.usage,
                )
            args = spec.parse_text(text)
        if spec.admin_only and not ctx.is_admin:
            raise NotAllowed(f"Only admins can use /{spec.name}.")
        if spec.needs_reply and command.reply_to is None:
            raise WrongPlace(f"Use /{spec.name} as a reply to the message you mean.")
        return spec, args

    async def _rate_limit(self, turn: Turn, next_: Next) -> list[Reply]:
        if turn.writes:
            actor = turn.event.actor
            self.limiter.check(actor.platform, actor.user_id, is_admin=turn.event.actor.is_admin)
        return await next_(turn)

    # ----- cards -----------------------------------------------------------------------
    async def render_card(self, key: CardKey) -> Reply | None:
        """The current text and buttons of a live card (adapters call this to refresh it)."""
        renderer = self.card_renderers.get(key.kind)
        return None if renderer is None else await renderer(self.deps, key)

    async def card_sent(
        self, key: CardKey, platform: str, channel_id: str, message_id: str
    ) -> None:
        """An adapter posted a live card: remember where, so refreshes can edit it."""
        await self.deps.storage.cards.remember(
            key.kind, key.community_id, key.subject_id, platform, channel_id, message_id
        )

    async def card_places(self, key: CardKey, platform: str) -> list[tuple[str, str]]:
        """(channel_id, message_id) of this card on one platform."""
        places = await self.deps.storage.cards.find(key.kind, key.community_id, key.subject_id)
        return [(channel, message) for p, channel, message in places if p == platform]


async def _sanitise(turn: Turn, next_: Next) -> list[Reply]:
    turn.event = sanitize_event(turn.event)  # lone surrogates and NUL cannot be stored
    return await next_(turn)


async def _refusals(turn: Turn, next_: Next) -> list[Reply]:
    event = turn.event
    try:
        return await next_(turn)
    except DomainError as error:
        text = error.message if error.usage is None else f"{error.message}\nUsage: {error.usage}"
        return [Reply(text, meta={"error": type(error).__name__})]
    except Exception:
        error_id = secrets.token_hex(4)
        log.exception(
            "unhandled error error_id=%s platform=%s user=%s payload=%s",
            error_id,
            event.actor.platform,
            event.actor.user_id,
            type(event.payload).__name__,
        )
        return [
            Reply(
                f"Sorry, something went wrong on our side (error id {error_id}). "
                "Nothing was changed; please try again.",
                meta={"error": "internal", "error_id": error_id},
            )
        ]


async def _run(turn: Turn) -> list[Reply]:
    assert turn.run is not None, "resolve sets what to run"
    return await turn.run()


def _outcome(replies: list[Reply]) -> str:
    error = next((r.meta["error"] for r in replies if "error" in r.meta), None)
    if error is None:
        return "ok"
    if error == "internal":
        return "error"
    return "limited" if error == RateLimited.__name__ else "refused"
