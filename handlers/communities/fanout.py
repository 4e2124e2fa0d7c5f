"""Cards on every platform of a community: copies of new cards, refreshes everywhere.

A proposal (or battle) opened on one platform returns one extra card reply per other
mapped platform, addressed with `Reply.where`; adapters route those to the other
adapter, which posts it and calls `dispatcher.card_sent`, so each platform remembers
its own copy. A refresh marker (`Reply.edit` with no place) only reaches the adapter
that handled the event, so the dispatcher adds one addressed marker per other
platform of the card's community (`refresh_everywhere`).
"""

from __future__ import annotations

from dataclasses import replace

from handlers.core.deps import Deps
from handlers.core.dispatch import Next, Turn
from handlers.core.types import Reply, Where


def copies_elsewhere(deps: Deps, community_id: int, origin: Where, card: Reply) -> list[Reply]:
    """The card once for each other platform of the community, at its configured place."""
    mapped = deps.communities.mapped.get(community_id)
    if mapped is None:
        return []
    return [
        replace(card, where=place, private=False, edit=False)
        for place in mapped.places
        if place.platform != origin.platform
    ]


def refresh_everywhere(deps: Deps, origin_platform: str, replies: list[Reply]) -> list[Reply]:
    """Add an addressed refresh for each other platform of each refreshed card's community."""
    extra: list[Reply] = []
    for reply in replies:
        if not reply.edit or reply.card is None or reply.where is not None:
            continue
        mapped = deps.communities.mapped.get(reply.card.community_id)
        if mapped is None:
            continue
        for platform in sorted(mapped.platforms - {origin_platform}):
            extra.append(replace(reply, where=Where(platform, "", "")))
    return [*replies, *extra] if extra else replies


async def fan_out(turn: Turn, next_: Next) -> list[Reply]:
    """Dispatcher step: a card refresh also reaches the card's copies on other platforms."""
    replies = await next_(turn)
    return refresh_everywhere(turn.deps, turn.event.where.platform, replies)
