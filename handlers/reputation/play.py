"""Playing an established community on the console: age members.

On a fresh console database every member was first seen a moment ago. `/age
<name|everyone> <days>` (console only) moves members' first sighting back, so they pass
`seed_member_age_days` (when set). Age alone never makes a seed: a member earns trust
when trusted members (admins first) credit them.
"""

from __future__ import annotations

from typing import Any

from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotFound
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply

MAX_DAYS = 3650.0
USAGE = "/age <name|everyone> <days>"


async def age_members(deps: Deps, community_id: int, who: str, days: float) -> str:
    """Backdate one member (or everyone) by `days`; returns what happened, for the chat."""
    if not 0 < days <= MAX_DAYS:
        return f"Give a number of days between 0 and {MAX_DAYS:g}.\nUsage: {USAGE}"
    ids: list[int] | None = None
    if who.casefold() != "everyone":
        member = await deps.storage.members.find_by_name(community_id, who.lstrip("@"))
        if member is None:
            return f'No member called "{who[:40]}" here yet.\nUsage: {USAGE}'
        ids = [member.id]
    changed = await deps.storage.members.backdate_members(community_id, ids, days * 86400)
    await deps.storage.contributions.touch(community_id)  # scores depend on members' ages
    label = "everyone" if ids is None else who
    # Age alone never makes a seed: members earn trust when trusted members credit them.
    return f"Aged {label} by {days:g} days: {changed} member(s)."


COMMANDS = Registry()


@COMMANDS.command(
    "age",
    "make members older (their first sighting moves back)",
    USAGE,
    Param("who", str, "a member's name, or everyone"),
    Param("days", str, "a number of days"),
    platforms=frozenset({"console"}),
    listed=False,
    writes=True,
)
async def age(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    """Console only: backdate members so the console can play an established community."""
    try:
        amount = float(args["days"])
    except ValueError:
        raise BadArguments(
            "Name a member (or everyone) and a number of days.", usage=USAGE
        ) from None
    where = ctx.event.where
    community_id = await ctx.deps.storage.communities.find_space(where.platform, where.space_id)
    if community_id is None:
        raise NotFound("Nobody has spoken here yet; say something first.")
    return [Reply(await age_members(ctx.deps, community_id, args["who"], amount))]
