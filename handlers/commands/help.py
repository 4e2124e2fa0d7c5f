"""/help: the command list, or one command's usage, straight from the registry."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.errors import NotFound
from handlers.markup import bold
from handlers.registry import Param, Registry
from handlers.types import Reply


def register(registry: Registry, *, extra_lines: tuple[str, ...] = ()) -> None:
    @registry.command(
        "help",
        "list the commands, or show one command's usage",
        "/help [command]",
        Param("command", str, "a command name", required=False),
    )
    async def help_(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        name = (args.get("command") or "").lstrip("/").casefold()
        if name:
            spec = registry.get(name)
            if spec is None:
                raise NotFound(f"Unknown command /{name[:40]}. Try /help.")
            lines = [bold(f"/{spec.name}") + f": {spec.help}", f"Usage: {spec.usage}"]
            lines += [f"Example: {example}" for example in spec.examples]
            if spec.admin_only:
                lines.append("Admins only.")
            return [Reply("\n".join(lines))]
        lines = [bold("govbot commands")]
        for spec in registry.commands.values():
            lines.append(f"  /{spec.name} — {spec.help}")
        lines += list(extra_lines)
        lines.append("Details: /help <command>")
        return [Reply("\n".join(lines))]
