"""/help: the command list, or one command's usage, straight from the registry."""

from __future__ import annotations

from typing import Any

from handlers.core.context import Context
from handlers.core.errors import NotFound
from handlers.core.markup import bold
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply

COMMANDS = Registry()


@COMMANDS.command(
    "help",
    "list the commands, or show one command's usage",
    "/help [command]",
    Param("command", str, "a command name", required=False),
)
async def help_(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    registry = ctx.deps.registry  # every feature's commands, not only this one's
    platform = ctx.actor.platform
    name = (args.get("command") or "").lstrip("/").casefold()
    if name:
        spec = registry.get(name)
        if spec is None or not spec.available_on(platform):
            raise NotFound(f"Unknown command /{name[:40]}. Try /help.")
        lines = [bold(f"/{spec.name}") + f": {spec.help}", f"Usage: {spec.usage}"]
        lines += [f"Example: {example}" for example in spec.examples]
        if spec.admin_only:
            lines.append("Admins only.")
        return [Reply("\n".join(lines))]
    lines = [bold("govbot commands")]
    for spec in registry.listed_on(platform):
        lines.append(f"  /{spec.name} — {spec.help}")
    lines.append("Details: /help <command>")
    return [Reply("\n".join(lines))]
