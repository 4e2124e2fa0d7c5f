"""`/roles all` for admins: who holds each role that follows a rule, and how many.

"Holds" is what the bot itself did and recorded (`role_states`): a Discord or console
role it granted, or a gated Telegram group it admitted the member to (a warned member
is still in the group, so still counted, marked as warned). Roles given by hand on the
platform are not the bot's to list.
"""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.markup import bold
from handlers.reach.roles.policy import RoleRule

HELD = ("granted", "approved", "warned")
SHOWN = 50  # names per role; beyond that only the count (a chat message has a limit)


def _place(rule: RoleRule) -> str:
    where = []
    if rule.discord_role_id is not None:
        where.append("Discord role")
    if rule.telegram_chat_id is not None:
        where.append("Telegram group")
    return ", ".join(where) or "console"


async def holders_text(deps: Deps, community_id: int) -> tuple[str, dict[str, int]]:
    """One paragraph per rule: the count, then the names; and the counts by role."""
    counts: dict[str, int] = {}
    lines: list[str] = []
    for rule in deps.roles.rules:
        states = [
            s
            for s in await deps.storage.roles.in_states(rule.name, HELD)
            if s.community_id == community_id
        ]
        names = await deps.storage.members.names({s.member_id for s in states})
        shown = sorted(
            (names.get(s.member_id, f"member {s.member_id}"), s.state == "warned") for s in states
        )
        counts[rule.name] = len(shown)
        held = "nobody" if not shown else f"{len(shown)} member{'s' if len(shown) != 1 else ''}"
        lines.append(f"{bold(rule.name)} ({_place(rule)}): {held}")
        if shown:
            listed = ", ".join(n + (" (warned)" if warned else "") for n, warned in shown[:SHOWN])
            more = f" … and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
            lines.append(f"  {listed}{more}")
        problem = deps.roles.problems.get(rule.name)
        if problem:
            lines.append(f"  ⚠ not managed right now: {problem}")
    return "\n".join(lines), counts
