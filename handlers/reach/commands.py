"""/remind on|off: private reminders for open proposals the member has not voted on."""

from __future__ import annotations

from typing import Any

from handlers.core.context import Context
from handlers.core.errors import BadArguments
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply

COMMANDS = Registry()


@COMMANDS.command(
    "remind",
    "private reminders before votes you have not cast close",
    "/remind on|off",
    Param("state", str, "on or off", choices=("on", "off")),
    writes=True,
    private=True,
)
async def remind(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    if not ctx.deps.reach.private_reminders:
        raise BadArguments("private reminders are turned off in this bot's settings")
    on = str(args["state"]).casefold() == "on"
    member = await ctx.member()
    changed = await ctx.deps.storage.reminders.set_optin(member, on, at=ctx.now())
    hours = ", ".join(f"{h:g} h" for h in ctx.deps.reach.reminder_offsets_hours)
    if on:
        text = (
            f"Reminders on: a private message {max(ctx.deps.reach.reminder_offsets_hours):g} h "
            "before an open proposal you have not voted on closes, once per proposal."
            if changed
            else "Reminders were already on."
        )
    else:
        text = "Reminders off." if changed else "Reminders were already off."
    return [
        Reply(text + f" (Public reminders go to each proposal's thread at {hours}.)", private=True)
    ]
