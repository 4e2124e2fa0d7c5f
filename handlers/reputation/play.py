"""Playing an established community on the console: age members.

On a fresh console database every member was first seen a moment ago. `/age
<name|everyone> <days>` (console only) moves members' first sighting back, so they pass
`seed_member_age_days` (when set). Age alone never makes a seed: a member earns trust
when trusted members (admins first) credit them.
"""

from __future__ import annotations

from handlers.deps import Deps

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
    changed = await deps.storage.contributions.backdate_members(community_id, ids, days * 86400)
    label = "everyone" if ids is None else who
    # Age alone never makes a seed: members earn trust when trusted members credit them.
    return f"Aged {label} by {days:g} days: {changed} member(s)."
