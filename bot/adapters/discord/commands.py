"""The slash-command tree, generated from the handlers' registry.

Each CommandSpec becomes one `app_commands.Command` whose callback signature is built
from the spec's typed parameters (int → INTEGER, float → NUMBER, str → STRING with
max_length; fixed choices as Discord choices; "proposal"/"choice" params get
autocomplete), so the options Discord validates and the ones the dispatcher binds can
never disagree. The callbacks only hand the interaction to the adapter. Commands used
as a reply (`needs_reply`, e.g. /helpful) cannot be slash commands on Discord; they
become message context menus ("Mark as helpful") that carry the target message.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, Optional

import discord
from discord import app_commands

from handlers.core.registry import CommandSpec, Param

if TYPE_CHECKING:
    from bot.adapters.discord.ports import InteractionSink

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 100
STRING_OPTION_LIMIT = 6000
MENU_NAME_LIMIT = 32
MENU_NAMES = {"helpful": "Mark as helpful", "unhelpful": "Take back helpful mark"}
MAX_MESSAGE_MENUS = 5  # Discord's limit per application


def _annotation(param: Param) -> Any:
    if param.type is int:
        return int
    if param.type is float:
        return float
    if param.max_length is not None:
        return app_commands.Range[str, 1, min(param.max_length, STRING_OPTION_LIMIT)]
    return str


def _description(text: str) -> str:
    text = " ".join(text.split()) or "…"
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def slash_command(spec: CommandSpec, adapter: InteractionSink) -> app_commands.Command:  # type: ignore[type-arg]
    """One slash command for one spec; the callback forwards the typed options."""
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    completions: dict[str, Any] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    for param in spec.params:
        annotation = _annotation(param)
        default: Any = inspect.Parameter.empty
        if not param.required:
            annotation, default = Optional[annotation], None  # noqa: UP045 - runtime typing object
        parameters.append(
            inspect.Parameter(
                param.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
            )
        )
        descriptions[param.name] = _description(param.help)
        if param.choices:
            choices[param.name] = [app_commands.Choice(name=c, value=c) for c in param.choices[:25]]
        elif param.autocomplete:
            completions[param.name] = adapter.completer(param.autocomplete, param.type)

    name = spec.name

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await adapter.on_command(interaction, name, values)

    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    if completions:
        callback.__discord_app_commands_param_autocomplete__ = completions  # type: ignore[attr-defined]
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"govbot_{name}"
    return app_commands.Command(name=name, description=_description(spec.help), callback=callback)


def context_menu(spec: CommandSpec, adapter: InteractionSink) -> app_commands.ContextMenu:
    """A command used "as a reply" (needs_reply) is a message context menu on Discord."""
    name = spec.name

    async def on_message_menu(interaction: discord.Interaction, message: discord.Message) -> None:
        await adapter.on_context(interaction, message, name)

    label = MENU_NAMES.get(name, f"/{name}")[:MENU_NAME_LIMIT]
    return app_commands.ContextMenu(name=label, callback=on_message_menu)


def build_tree(
    client: discord.Client, specs: list[CommandSpec], adapter: InteractionSink
) -> app_commands.CommandTree:  # type: ignore[type-arg]
    """The whole command surface; sync happens in the client's setup_hook."""
    tree: app_commands.CommandTree = app_commands.CommandTree(client)  # type: ignore[type-arg]
    menus = 0
    for spec in specs:
        try:
            if not spec.needs_reply:
                tree.add_command(slash_command(spec, adapter))
            elif menus < MAX_MESSAGE_MENUS:
                tree.add_command(context_menu(spec, adapter))
                menus += 1
        except (TypeError, ValueError) as error:  # a spec Discord cannot express
            log.error("skipping /%s on discord: %s", spec.name, error)

    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error(
            "command tree error guild=%s channel=%s interaction=%s: %r",
            interaction.guild_id,
            interaction.channel_id,
            interaction.id,
            error,
            exc_info=error,
        )

    tree.on_error = on_error  # type: ignore[method-assign]
    return tree
