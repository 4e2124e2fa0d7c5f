"""Helpers for council tests: run the scheduled jobs as `govbot run` would, and check
that a refusal wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from storage import schema
from storage.repos.council_records import CouncilRecord, SeatRecord
from storage.schema_councils import COUNCIL_TABLES
from tests.conftest import is_refusal, run_command, texts

HOUR = 3600.0
DAY = 86400.0
WRITTEN = (*COUNCIL_TABLES, schema.proposals, schema.ballots, schema.audit_log)


async def tick(core: Core) -> list[Reply]:
    """Every scheduled job once, in FEATURES order (proposals close, then councils)."""
    replies: list[Reply] = []
    for job in core.jobs():
        replies.extend(await job.run(core.deps))
    return replies


async def later(core: Core, clock: ManualClock, seconds: float) -> str:
    """Move the clock, run the jobs; what they posted (text replies only)."""
    clock.advance(seconds)
    return texts([r for r in await tick(core) if r.text and not r.edit])


async def snapshot(core: Core) -> dict[str, tuple[int, list[tuple[Any, ...]]]]:
    state: dict[str, tuple[int, list[tuple[Any, ...]]]] = {}
    async with core.storage.db.read() as conn:
        for table in WRITTEN:
            count = await conn.scalar(select(func.count()).select_from(table))
            rows = sorted((tuple(r) for r in await conn.execute(select(table))), key=repr)
            state[table.name] = (int(count), rows)
    return state


async def refused(
    core: Core, user: str, line: str, needle: str, *, admin: bool = False, usage: bool = True
) -> str:
    """`line` must be refused with a one-line reason naming `needle`, writing nothing."""
    before = await snapshot(core)
    replies = await run_command(core, user, line, admin=admin)
    assert is_refusal(replies), f"{line!r} was not refused: {texts(replies)[:300]!r}"
    reason, _, rest = replies[0].text.partition("\nUsage: ")
    assert needle in reason, f"{line!r}: {needle!r} not in {reason!r}"
    assert "\n" not in reason, reason
    if usage:
        assert rest, f"{line!r}: no usage in {replies[0].text!r}"
    assert await snapshot(core) == before, f"{line!r} wrote something"
    return replies[0].text


async def ok(core: Core, user: str, line: str, *, admin: bool = False) -> str:
    replies = await run_command(core, user, line, admin=admin)
    assert not is_refusal(replies), f"{line!r} was refused: {texts(replies)!r}"
    return texts(replies)


async def council(core: Core, name: str) -> CouncilRecord:
    community = await core.storage.communities.find_space("console", "console")
    assert community is not None
    found = await core.storage.councils.by_name(community, name)
    assert found is not None
    return found


async def seated(core: Core, name: str, now: float | None = None) -> dict[str, SeatRecord]:
    """Display name → seat, of the seats held at `now` (default: the clock's now)."""
    found = await council(core, name)
    at = core.deps.clock.now() if now is None else now
    seats = await core.storage.councils.active_seats(found.id, at)
    names = await core.storage.members.names({s.member_id for s in seats})
    return {names[s.member_id]: s for s in seats}


async def audit_kinds(core: Core, prefix: str = "council.") -> list[str]:
    return [e.kind async for e, _ in core.storage.audit.entries() if e.kind.startswith(prefix)]


async def stand_all(core: Core, council_name: str, *names: str) -> None:
    for name in names:
        await ok(core, name, f"/stand {council_name}")


async def vote_all(core: Core, number: int, ballots: dict[str, str]) -> None:
    for voter, ballot in ballots.items():
        await ok(core, voter, f"/vote {number} {ballot}")
