"""Neutral-event helpers for reputation tests: reactions, replies, /helpful, /rep."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from bot.app import Core
from handlers.core.types import Actor, Command, Event, MessageRef, Posted, Reaction, Reply, Where

WHERE = Where("console", "console", "main")
_messages = itertools.count(1000)
OLD_ACCOUNT = datetime(2020, 1, 1, tzinfo=UTC)


def person(name: str, *, admin: bool = False, created: datetime | None = OLD_ACCOUNT) -> Actor:
    return Actor("console", name, name, is_admin=admin, account_created=created)


def new_message() -> MessageRef:
    return MessageRef("console", "main", str(next(_messages)))


async def react(
    core: Core, giver: Actor, author: Actor, message: MessageRef, emoji: str = "👍", added=True
) -> list[Reply]:
    return await core.dispatch(Event(giver, WHERE, Reaction(message, author, emoji, added)))


async def post(
    core: Core, who: Actor, reply_to: MessageRef | None = None, to: Actor | None = None
) -> MessageRef:
    ref = new_message()
    await core.dispatch(Event(who, WHERE, Posted(ref, reply_to, to)))
    return ref


async def helpful(core: Core, giver: Actor, author: Actor, message: MessageRef) -> list[Reply]:
    return await core.dispatch(Event(giver, WHERE, Command("helpful", "", None, message, author)))


async def rep(core: Core, asker: Actor, name: str = "") -> dict[str, Any]:
    replies = await core.dispatch(Event(asker, WHERE, Command("rep", name)))
    assert len(replies) == 1, replies
    return {"text": replies[0].text, **replies[0].meta}


async def score(core: Core, name: str) -> float:
    return float((await rep(core, person("observer"), name))["score"])


async def ledger_rows(core: Core) -> list[dict[str, Any]]:
    return [row async for row in core.storage.contributions.export()]
