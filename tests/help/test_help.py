"""/help and unknown commands through the dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.app import Core
from handlers.core.markup import to_plain
from tests.conftest import run_command, texts
from tests.proposals.helpers import refused


async def test_help_and_unknown_command(core: Core) -> None:
    listing = to_plain(texts(await run_command(core, "bob", "/help")))
    for name in ("help", "propose", "describe", "proposals", "proposal", "vote", "close", "cancel"):
        assert f"/{name} — " in listing
    assert "Details: /help <command>" in listing
    vote = to_plain(texts(await run_command(core, "bob", "/help vote")))
    assert vote.startswith("/vote: ") and "Usage: /vote <id> <ballot>" in vote
    assert to_plain(texts(await run_command(core, "bob", "/help /propose"))).startswith("/propose")
    await refused(core, "bob", "/help nope", "Unknown command /nope", usage=None)
    await refused(core, "bob", "/nope", "Unknown command /nope. Try /help.", usage=None)
    await refused(core, "bob", "/help vote close", "Too many arguments", usage="/help")
