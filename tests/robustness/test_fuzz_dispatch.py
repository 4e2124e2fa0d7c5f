"""Fuzz every command through the dispatcher: hostile arguments get domain refusals only.

For each command in `build_registry()` hypothesis sends text arguments (odd Unicode,
lone surrogates, markup and mention syntax, huge strings) and typed options with wrong
types and unknown names, as admin and as a plain member, against a community with an
open proposal of each voting method. Every event must end in replies, none of them the
"something went wrong" apology (`meta["error"] == "internal"`), nothing logged at ERROR,
and a refusal must append nothing to the audit log. A normal command still works after.
Both engines.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Core, build_core, build_registry
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from handlers.core.types import Command, Event, Reply
from tests.conftest import WHERE, actor, is_refusal, run_command
from tests.robustness.logcheck import ErrorLog
from tests.robustness.strategies import command_text, options_for, word

REGISTRY = build_registry()
NAMES = sorted(s.name for s in REGISTRY.on("console"))
SEED = [
    "/propose Lunch | pizza | sushi hours=48",
    "/propose Logo | circle | square | star method=ranked",
    "/propose Budget | infra | docs method=weighted",
    "/propose Snacks | chips | fruit | nuts method=approval",
]


async def _audit_head(core: Core) -> int:
    async with core.storage.db.read() as conn:
        return (await core.storage.audit.head(conn))[0]


def check_replies(replies: list[Reply], errors: ErrorLog, what: str) -> None:
    assert isinstance(replies, list) and replies, what
    for reply in replies:
        assert isinstance(reply.text, str), what
        assert reply.meta.get("error") != "internal", f"{what} → {reply.text}"
    assert not errors.records, f"{what} logged {errors.describe()}"


def test_every_command_survives_hostile_arguments(database_url: str, tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    errors = ErrorLog().__enter__()
    settings_ = load_settings(database_url=database_url, charts_dir=tmp_path / "charts")
    core = loop.run_until_complete(build_core(settings_, clock=ManualClock(1_800_000_000.0)))
    try:
        for line in SEED:
            assert not is_refusal(loop.run_until_complete(run_command(core, "admin", line)))

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            derandomize=True,
        )
        @given(
            name=st.sampled_from(NAMES),
            typed=st.booleans(),
            data=st.data(),
            user=st.one_of(st.sampled_from(["admin", "bob", "carol"]), word),
        )
        def one(name: str, typed: bool, data: st.DataObject, user: str) -> None:
            errors.records.clear()
            spec = REGISTRY.commands[name]
            if typed:
                command = Command(name, options=data.draw(options_for(spec), label="options"))
            else:
                command = Command(name, data.draw(command_text(spec), label="text"))
            event = Event(actor(user, admin=user == "admin"), WHERE, command)
            before = loop.run_until_complete(_audit_head(core))
            replies = loop.run_until_complete(core.dispatch(event))
            check_replies(replies, errors, f"{user}: {command!r:.300}")
            if is_refusal(replies):
                assert loop.run_until_complete(_audit_head(core)) == before, f"{command!r:.300}"

        one()
        after = loop.run_until_complete(run_command(core, "dave", "/proposals"))
        assert not is_refusal(after) and "Open proposals" in after[0].text
    finally:
        loop.run_until_complete(core.close())
        loop.close()
        errors.__exit__()
