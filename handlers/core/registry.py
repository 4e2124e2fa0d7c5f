"""Every command declared once: name, help, typed parameters, handler.

Adapters build their platform surface from this (Discord slash options, Telegram's
command list, the console's /help), and the dispatcher parses arguments with it, so a
command's usage and its validation can never disagree between platforms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.core.errors import BadArguments
from handlers.core.types import Reply

# A handler takes (ctx, args); ctx is a `handlers.core.context.Context`, typed loosely
# here because the context carries the deps, which carry this registry.
Handler = Callable[[Any, dict[str, Any]], Awaitable[list[Reply]]]
MAX_INT = 2**31 - 1
PressHandler = Callable[[Any, tuple[str, ...]], Awaitable[list[Reply]]]
TextParser = Callable[[str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Param:
    """One typed parameter. `rest` takes the rest of the line (text platforms)."""

    name: str
    type: type
    help: str
    required: bool = True
    rest: bool = False
    max_length: int | None = None
    autocomplete: str | None = None  # a Feature.completers key: adapters may offer completions
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    help: str
    usage: str
    params: tuple[Param, ...]
    handler: Handler
    admin_only: bool = False
    writes: bool = False
    needs_reply: bool = False
    text_parser: TextParser | None = None
    examples: tuple[str, ...] = ()
    private: bool = False  # the success reply goes to the actor only (Discord defers ephemeral)
    # Platforms this command exists on (None: all). A console-only tool such as /age is
    # absent from Discord's and Telegram's command lists and refused there as unknown.
    platforms: frozenset[str] | None = None
    listed: bool = True  # shown by /help (console tools are described by the console)

    def available_on(self, platform: str) -> bool:
        return self.platforms is None or platform in self.platforms

    def parse_text(self, text: str) -> dict[str, Any]:
        """Parse the text form (`/cmd a b c`) into typed values, refusing bad input."""
        if self.text_parser is not None:
            return self.bind(self.text_parser(text))
        rest = text.strip()
        values: dict[str, Any] = {}
        for param in self.params:
            if not rest:
                break
            if param.rest:
                values[param.name], rest = rest, ""
            else:
                word, *tail = rest.split(None, 1)
                values[param.name], rest = word, (tail[0].strip() if tail else "")
        if rest:
            raise BadArguments(f'Too many arguments: "{_short(rest)}".', usage=self.usage)
        return self.bind(values)

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check and convert named values (Discord options arrive this way)."""
        known = {p.name for p in self.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadArguments(f"Unknown option {unknown[0]}.", usage=self.usage)
        bound: dict[str, Any] = {}
        for param in self.params:
            raw = values.get(param.name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if param.required:
                    raise BadArguments(f"Missing <{param.name}>: {param.help}.", usage=self.usage)
                bound[param.name] = None
                continue
            bound[param.name] = _convert(param, raw, self.usage)
        return bound


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _convert(param: Param, raw: Any, usage: str) -> Any:
    if param.type is int:
        text = str(raw).strip().lstrip("#")
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
            raise BadArguments(
                f'<{param.name}> must be a whole number, not "{_short(str(raw))}".', usage=usage
            )
        number = int(text)
        if not -MAX_INT <= number <= MAX_INT:  # ids and counts are 32-bit columns
            raise BadArguments(f"<{param.name}> {_short(text)} is too large.", usage=usage)
        return number
    if param.type is float:
        try:
            return float(str(raw).strip())
        except ValueError:
            raise BadArguments(
                f'<{param.name}> must be a number, not "{_short(str(raw))}".', usage=usage
            ) from None
    value = str(raw).strip()
    if param.max_length is not None and len(value) > param.max_length:
        raise BadArguments(
            f"<{param.name}> is {len(value)} characters; the limit is {param.max_length}.",
            usage=usage,
        )
    if param.choices is not None and value.casefold() not in param.choices:
        raise BadArguments(
            f'<{param.name}> must be one of {", ".join(param.choices)}, not "{_short(value)}".',
            usage=usage,
        )
    return value


@dataclass
class Registry:
    """The command table plus button-press handlers, keyed by action."""

    commands: dict[str, CommandSpec] = field(default_factory=dict)
    presses: dict[str, PressHandler] = field(default_factory=dict)

    def add(self, spec: CommandSpec) -> CommandSpec:
        if spec.name in self.commands:
            raise ValueError(f"command /{spec.name} declared twice")
        self.commands[spec.name] = spec
        return spec

    def command(
        self,
        name: str,
        help: str,
        usage: str,
        *params: Param,
        admin_only: bool = False,
        writes: bool = False,
        needs_reply: bool = False,
        text_parser: TextParser | None = None,
        examples: tuple[str, ...] = (),
        private: bool = False,
        platforms: frozenset[str] | None = None,
        listed: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of `add`."""

        def register(handler: Handler) -> Handler:
            self.add(
                CommandSpec(
                    name,
                    help,
                    usage,
                    params,
                    handler,
                    admin_only,
                    writes,
                    needs_reply,
                    text_parser,
                    examples,
                    private,
                    platforms,
                    listed,
                )
            )
            return handler

        return register

    def press(self, action: str) -> Callable[[PressHandler], PressHandler]:
        def register(handler: PressHandler) -> PressHandler:
            self.presses[action] = handler
            return handler

        return register

    def get(self, name: str) -> CommandSpec | None:
        return self.commands.get(name.casefold())

    def on(self, platform: str) -> list[CommandSpec]:
        """The commands that exist on one platform (its slash tree or command list)."""
        return [spec for spec in self.commands.values() if spec.available_on(platform)]

    def listed_on(self, platform: str) -> list[CommandSpec]:
        return [spec for spec in self.on(platform) if spec.listed]

    def merge(self, other: Registry) -> None:
        """Take another feature's commands and presses; a name declared twice is an error."""
        for spec in other.commands.values():
            self.add(spec)
        for action, handler in other.presses.items():
            if action in self.presses:
                raise ValueError(f"button action {action!r} declared twice")
            self.presses[action] = handler
