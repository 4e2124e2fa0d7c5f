"""Turns one neutral event into replies: parse, check, run, map errors.

This is the only place a handler's exception becomes a reply, so every platform gets
the same refusals: a domain error becomes its one-line reason plus the right usage;
anything else is logged with an error id and the event, and the member gets a short
apology with that id (never a stack trace).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from handlers.context import Context
from handlers.crossplatform.fanout import refresh_everywhere
from handlers.deps import Deps
from handlers.errors import BadArguments, DomainError, NotAllowed, UnknownCommand, WrongPlace
from handlers.markup import clean
from handlers.ratelimit import RateLimited, RateLimiter
from handlers.registry import Registry
from handlers.sanitize import sanitize_event
from handlers.types import CardKey, Command, Event, Posted, Press, Reaction, Reply

log = logging.getLogger(__name__)

MAX_COMMAND_TEXT = 8000

CardRenderer = Callable[[Deps, CardKey], Awaitable[Reply | None]]
Listener = Callable[[Context], Awaitable[list[Reply]]]
# Called after every event with (event, replies, seconds, outcome); outcome is "ok",
# "refused" (a domain error), "limited" (rate limit) or "error" (unhandled). bot/metrics.py
# registers one, so handlers never import prometheus. Observers must be fast and not raise.
Observer = Callable[[Event, list[Reply], float, str], None]


class Dispatcher:
    def __init__(self, registry: Registry, deps: Deps) -> None:
        self.registry = registry
        self.deps = deps
        self.card_renderers: dict[str, CardRenderer] = {}
        self.reaction_listeners: list[Listener] = []
        self.posted_listeners: list[Listener] = []
        self.observers: list[Observer] = []
        self.limiter = RateLimiter(deps.limits, deps.clock)

    async def handle(self, event: Event) -> list[Reply]:
        started = time.perf_counter()
        event = sanitize_event(event)  # lone surrogates and NUL cannot be stored
        replies = await self._handle(event)
        # a card refresh also reaches the card's copies on the community's other platforms
        replies = refresh_everywhere(self.deps, event.where.platform, replies)
        if self.observers:
            seconds = time.perf_counter() - started
            outcome = _outcome(replies)
            for observer in self.observers:
                try:
                    observer(event, replies, seconds, outcome)
                except Exception:
                    log.exception("dispatch observer failed")
        return replies

    async def _handle(self, event: Event) -> list[Reply]:
        ctx = Context(event, self.deps)
        try:
            match event.payload:
                case Command():
                    return await self._command(ctx, event.payload)
                case Press():
                    return await self._press(ctx, event.payload)
                case Reaction():
                    return await self._listen(ctx, self.reaction_listeners)
                case Posted():
                    return await self._listen(ctx, self.posted_listeners)
            raise TypeError(f"unknown payload {type(event.payload).__name__}")
        except DomainError as error:
            text = (
                error.message if error.usage is None else f"{error.message}\nUsage: {error.usage}"
            )
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

    async def _command(self, ctx: Context, command: Command) -> list[Reply]:
        spec = self.registry.get(command.name)
        if spec is None:
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
        if spec.writes:
            actor = ctx.event.actor
            self.limiter.check(actor.platform, actor.user_id, is_admin=ctx.is_admin)
        return await spec.handler(ctx, args)

    async def _press(self, ctx: Context, press: Press) -> list[Reply]:
        handler = self.registry.presses.get(press.action)
        if handler is None:
            raise BadArguments("That button no longer does anything.")
        actor = ctx.event.actor  # presses write (votes, ratings): limited like commands
        self.limiter.check(actor.platform, actor.user_id, is_admin=ctx.is_admin)
        return await handler(ctx, press.args)

    async def _listen(self, ctx: Context, listeners: list[Listener]) -> list[Reply]:
        replies: list[Reply] = []
        for listener in listeners:
            replies.extend(await listener(ctx))
        return replies

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


def _outcome(replies: list[Reply]) -> str:
    error = next((r.meta["error"] for r in replies if "error" in r.meta), None)
    if error is None:
        return "ok"
    if error == "internal":
        return "error"
    return "limited" if error == RateLimited.__name__ else "refused"
