"""The port a platform implements so roles can follow rules: `RoleSink`.

Handlers decide who should hold what; a sink only carries it out on its platform and
says how it went. A refusal the operator must fix (no Manage Roles, a role above the
bot's own) comes back as a `RoleResult` naming the problem — never as an exception —
so one misconfigured role cannot stop the others or crash the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DONE = "done"
MISSING_PERMISSION = "missing_permission"  # the bot lacks Manage Roles / ban+invite rights
ABOVE_BOT = "above_bot"  # the role sits at or above the bot's top role
NOT_FOUND = "not_found"  # no such role, guild, chat or member
UNAVAILABLE = "unavailable"  # the platform is not connected or did not answer


@dataclass(frozen=True, slots=True)
class RoleResult:
    outcome: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == DONE


class RoleSink(Protocol):
    """One platform's role and membership calls (ids as the platform writes them)."""

    async def grant(self, space_id: str, user_id: str, role_id: str) -> RoleResult: ...

    async def revoke(self, space_id: str, user_id: str, role_id: str) -> RoleResult: ...

    async def approve(self, chat_id: str, user_id: str) -> RoleResult: ...

    async def decline(self, chat_id: str, user_id: str) -> RoleResult: ...

    async def remove(self, chat_id: str, user_id: str) -> RoleResult:
        """Take a member out of a group without banning them for good."""
        ...

    async def tell(self, user_id: str, text: str) -> RoleResult:
        """A private message to the member about a change to their role.

        Sent by the sink rather than returned as a reply because several paths that move
        roles do not route listener replies (the signing page, a council seated when a
        proposal closes), and a member should hear of the change whichever moved it."""
        ...
