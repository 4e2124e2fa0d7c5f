"""The console chat: a local, scriptable chat room on stdin/stdout (Errbot's Text backend).

Every message printed gets a number that the console-only commands refer to:

    [#7] alice: /vote 1 yes
    [#8] govbot → alice (private): Vote recorded on #1: yes …
      [1] yes  [2] no            (buttons under a message)
      image: charts/proposal-1-1.png

One input line is handled completely, replies printed, before the next is read, so a
piped script gives a deterministic transcript; end of input ends the run cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from handlers.core.markup import clean, to_plain
from handlers.core.types import (
    Actor,
    Button,
    Command,
    Event,
    MessageRef,
    Payload,
    Posted,
    Press,
    Reaction,
    Reply,
    Where,
)

if TYPE_CHECKING:
    from bot.adapters.base import AdapterHost

PLATFORM = "console"
CHANNEL = "main"
BOT_NAME = "govbot"
CONSOLE_HELP = (
    "Console only:",
    "  /as <name> — act as that member",
    "  /react <msg> <emoji> · /unreact <msg> <emoji> — react to message #msg",
    "  /reply <msg> <text or /command …> — reply to message #msg",
    "  /press <msg> <button number or label> — press a button under message #msg",
    "  /age <name|everyone> <days> — make members older (their first sighting moves back)",
    "  plain lines are chat messages",
)


@dataclass
class Printed:
    """A message the console printed, kept so /react, /reply and /press can refer to it."""

    author: Actor | None  # None: the bot
    buttons: tuple[Button, ...] = ()


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(
        self, host: AdapterHost, *, stdin: TextIO | None = None, stdout: TextIO | None = None
    ):
        self.host = host
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.settings = host.settings_for(PLATFORM)
        self.user = self.settings.user
        self.where = Where(PLATFORM, "console", CHANNEL)
        self.messages: dict[int, Printed] = {}
        self.counter = 0
        self._stopped = False
        self._stop_event = asyncio.Event()
        self._running = False

    # ----- output -------------------------------------------------------------------
    def _emit(
        self, prefix: str, text: str, author: Actor | None, buttons: tuple[Button, ...] = ()
    ) -> int:
        self.counter += 1
        number = self.counter
        self.messages[number] = Printed(author, tuple(buttons))
        self.stdout.write(f"[#{number}] {prefix}: {text}\n")
        if buttons:
            self.stdout.write(
                "  " + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)) + "\n"
            )
        self.stdout.flush()
        return number

    def _note(self, text: str) -> None:
        self.stdout.write(f"  {text}\n")
        self.stdout.flush()

    async def _show(self, replies: list[Reply], actor: Actor | None) -> None:
        for reply in replies:
            if reply.edit:
                continue  # no in-place edits on a terminal: /proposal <id> shows the live card
            text = to_plain(reply.text)
            if reply.private and actor is not None:
                prefix = f"{BOT_NAME} → {actor.display_name} (private)"
            elif reply.where is not None and reply.where.is_private:
                # addressed to one member (a juror's notice): their DM, not the chat
                prefix = f"{BOT_NAME} → {reply.where.channel_id} (private)"
            else:
                prefix = BOT_NAME
            number = self._emit(prefix, text, None, reply.buttons)
            if reply.image:
                self._note(f"image: {reply.image}")
            if reply.card is not None and not reply.private:
                await self.host.card_sent(reply.card, PLATFORM, CHANNEL, str(number))

    # ----- input --------------------------------------------------------------------
    def actor(self, name: str | None = None) -> Actor:
        name = name or self.user
        return Actor(PLATFORM, name, name, is_admin=name in self.settings.admins)

    async def _dispatch(self, payload: Payload, actor: Actor | None = None) -> None:
        actor = actor or self.actor()
        event = Event(actor, self.where, payload)
        replies = await self.host.dispatch(event)
        await self._show(replies, actor)

    def _ref(self, number: int) -> MessageRef:
        return MessageRef(PLATFORM, CHANNEL, str(number))

    def _message(self, raw: str) -> tuple[int, Printed] | None:
        text = raw.strip().lstrip("#")
        if text.isdigit() and int(text) in self.messages:
            return int(text), self.messages[int(text)]
        return None

    def _author_of(self, printed: Printed) -> Actor:
        return printed.author or Actor(PLATFORM, BOT_NAME, BOT_NAME, is_bot=True)

    async def handle_line(self, line: str) -> None:
        """Handle one input line completely (echo, dispatch, print every reply)."""
        line = clean(line.rstrip("\r\n")).strip()
        if not line:
            return
        actor = self.actor()
        self._emit(actor.display_name, line, actor)
        if not line.startswith("/"):
            await self._dispatch(Posted(self._ref(self.counter), text=line))
            return
        name, _, rest = line[1:].partition(" ")
        name = name.split("@", 1)[0].casefold()
        rest = rest.strip()
        local = {
            "as": self._as,
            "react": self._react,
            "unreact": self._unreact,
            "reply": self._reply,
            "press": self._press,
        }.get(name)
        if local is not None:
            await local(rest)
            return
        replies = await self.host.dispatch(Event(actor, self.where, Command(name, rest)))
        if name == "age" and replies and "error" not in replies[0].meta:
            for reply in replies:  # a console tool: its answer is a note, not a message
                self._note(to_plain(reply.text))
            return
        if name == "help" and not rest and replies and "error" not in replies[0].meta:
            first = replies[0]
            replies = [Reply(first.text + "\n" + "\n".join(CONSOLE_HELP)), *replies[1:]]
        await self._show(replies, actor)

    async def _refuse(self, text: str) -> None:
        self._emit(BOT_NAME, text, None)

    async def _as(self, rest: str) -> None:
        name = rest.strip()
        if not name or " " in name or len(name) > 40:
            await self._refuse(
                "Give one member name (no spaces, up to 40 characters).\nUsage: /as <name>"
            )
            return
        self.user = name
        self._note(f"you are now {name}{' (admin)' if name in self.settings.admins else ''}")

    async def _react(self, rest: str, added: bool = True) -> None:
        verb = "react" if added else "unreact"
        target, _, emoji = rest.partition(" ")
        found = self._message(target)
        emoji = emoji.strip()
        if found is None or not emoji or " " in emoji:
            await self._refuse(
                f"Name a message number shown as [#N] and one emoji.\nUsage: /{verb} <msg> <emoji>"
            )
            return
        number, printed = found
        actor = self.actor()
        self._note(f"{actor.display_name} {'reacted' if added else 'removed'} {emoji} on #{number}")
        await self._dispatch(
            Reaction(self._ref(number), self._author_of(printed), emoji, added), actor
        )

    async def _unreact(self, rest: str) -> None:
        await self._react(rest, added=False)

    async def _reply(self, rest: str) -> None:
        target, _, text = rest.partition(" ")
        found = self._message(target)
        text = text.strip()
        if found is None or not text:
            await self._refuse(
                "Name a message number shown as [#N] and what to say.\n"
                "Usage: /reply <msg> <text or /command …>"
            )
            return
        number, printed = found
        actor = self.actor()
        ref = self._ref(number)
        author = self._author_of(printed)
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            await self._dispatch(
                Command(name.split("@", 1)[0].casefold(), args.strip(), None, ref, author), actor
            )
        else:
            await self._dispatch(Posted(self._ref(self.counter), ref, author, text=text), actor)

    async def _press(self, rest: str) -> None:
        target, _, which = rest.partition(" ")
        found = self._message(target)
        which = which.strip()
        if found is None or not found[1].buttons or not which:
            await self._refuse(
                "Name a message with buttons and the button's number or label.\n"
                "Usage: /press <msg> <button number or label>"
            )
            return
        number, printed = found
        buttons = printed.buttons
        button = None
        if which.isdigit() and 1 <= int(which) <= len(buttons):
            button = buttons[int(which) - 1]
        else:
            button = next((b for b in buttons if b.label.casefold() == which.casefold()), None)
        if button is None:
            labels = ", ".join(f"{i} {b.label}" for i, b in enumerate(buttons, 1))
            await self._refuse(f'No button "{which[:40]}" on #{number}. Buttons: {labels}.')
            return
        await self._dispatch(Press(button.action, button.args, self._ref(number)))

    # ----- Adapter protocol -----------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._running and not self._stopped

    async def ready(self, timeout: float | None = None) -> bool:
        """The console serves as soon as it runs: nothing to connect to."""
        return True

    async def run(self) -> None:
        """Handle lines until end of input or stop(); a line being handled is finished."""
        self._running = True
        try:
            while not self._stopped:
                line = await self._readline()
                if line is None or line == "":
                    return
                await self.handle_line(line)
        finally:
            self._running = False

    async def _readline(self) -> str | None:
        """The next input line, or None once stop() is called.

        Read in a daemon thread, not the loop's executor: a readline blocked on an open
        terminal must not keep the process alive after SIGTERM (asyncio.run joins the
        executor's threads on exit).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                line = self.stdin.readline()
            except (OSError, ValueError):
                line = ""

            def deliver() -> None:
                if not future.done():
                    future.set_result(line)

            with contextlib.suppress(RuntimeError):  # the loop closed while we waited
                loop.call_soon_threadsafe(deliver)

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        stopped = asyncio.ensure_future(self._stop_event.wait())
        try:
            waiters: set[asyncio.Future[Any]] = {future, stopped}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        return future.result() if future.done() else None

    async def deliver(self, reply: Reply) -> None:
        await self._show([reply], None)

    async def stop(self, deadline: float | None = None) -> None:
        """The line being handled finishes (run() awaits it); no further line is read."""
        self._stopped = True
        self._stop_event.set()
