"""Dispatcher-level helpers for proposal and vote tests: run a command and require it to
succeed, or to be refused with a one-line reason while writing nothing at all."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from bot.app import Core
from storage import schema
from storage.records import ProposalRecord
from tests.conftest import is_refusal, run_command, texts

WRITTEN_TABLES = (schema.proposals, schema.ballots, schema.audit_log)


async def snapshot(core: Core) -> dict[str, tuple[int, list[tuple[Any, ...]]]]:
    """Row count and every row of the tables a command could change."""
    state: dict[str, tuple[int, list[tuple[Any, ...]]]] = {}
    async with core.storage.db.read() as conn:
        for table in WRITTEN_TABLES:
            count = await conn.scalar(select(func.count()).select_from(table))
            rows = sorted((tuple(r) for r in await conn.execute(select(table))), key=repr)
            state[table.name] = (int(count), rows)
    return state


async def refused(
    core: Core, user: str, line: str, needle: str, *, usage: str | None = "Usage: ", admin=False
) -> str:
    """Run `line`; it must be one refusal naming `needle`, and nothing may change."""
    before = await snapshot(core)
    replies = await run_command(core, user, line, admin=admin)
    assert is_refusal(replies), f"{line[:80]!r} was not refused: {texts(replies)[:300]!r}"
    text = replies[0].text
    reason, _, rest = text.partition("\nUsage: ")
    assert needle in reason, f"{line[:80]!r}: {needle!r} not in {reason!r}"
    assert "\n" not in reason, f"{line[:80]!r}: the reason is not one line: {reason!r}"
    if usage is not None:
        assert usage in text, f"{line[:80]!r}: no usage ({usage!r}) in {text!r}"
        assert rest and "\n" not in rest
    assert "Traceback" not in text
    assert await snapshot(core) == before, f"{line[:80]!r} wrote something"
    return text


async def community_id(core: Core) -> int:
    found = await core.storage.communities.find_space("console", "console")
    assert found is not None
    return found


async def proposal(core: Core, number: int) -> ProposalRecord:
    found = await core.storage.proposals.get(await community_id(core), number)
    assert found is not None
    return found


async def open_ok(core: Core, line: str, user: str = "alice") -> ProposalRecord:
    replies = await run_command(core, user, line)
    assert not is_refusal(replies), texts(replies)
    match = re.search(r"#(\d+) ", replies[0].text)
    assert match is not None
    return await proposal(core, int(match.group(1)))


async def vote_ok(core: Core, user: str, number: int, ballot: str) -> str:
    replies = await run_command(core, user, f"/vote {number} {ballot}")
    assert not is_refusal(replies), f"{user} /vote {number} {ballot}: {texts(replies)}"
    assert replies[0].private and f"Vote recorded on #{number}" in replies[0].text
    return replies[0].text


async def close_ok(core: Core, number: int, user: str = "alice") -> str:
    replies = await run_command(core, user, f"/close {number}")
    assert not is_refusal(replies), texts(replies)
    return texts(replies)


def result_of(p: ProposalRecord) -> dict[str, Any]:
    assert p.status == "closed" and p.result is not None
    return p.result
