"""Helpers for dispute tests: a community with reputation, the jobs as `govbot run` runs
them, juror lookups, and refusals that must write nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from storage import schema
from storage.schema_contributions import contributions
from storage.schema_disputes import DISPUTE_TABLES
from tests.conftest import is_refusal, press, run_command, texts

HOUR = 3600.0
MEMBERS = ("ann", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "ivy", "jon")
WRITTEN = (*DISPUTE_TABLES, schema.proposals, schema.audit_log, contributions)


async def community(core: Core, names: tuple[str, ...] = MEMBERS) -> None:
    """Members with reputation: each says hello, then the admin grants each of them points
    (more to the later names, so the draw's weights differ)."""
    for name in names:
        await run_command(core, name, "/rep")
    for points, name in enumerate(names, start=1):
        await ok(core, "admin", f"/credit {name} {points} good work", admin=True)


async def tick(core: Core) -> list[Reply]:
    replies: list[Reply] = []
    for job in core.jobs():
        replies.extend(await job.run(core.deps))
    return replies


async def later(core: Core, clock: ManualClock, seconds: float) -> str:
    clock.advance(seconds)
    return texts([r for r in await tick(core) if r.text and not r.edit])


async def ok(core: Core, user: str, line: str, *, admin: bool = False) -> list[Reply]:
    replies = await run_command(core, user, line, admin=admin)
    assert not is_refusal(replies), f"{line!r} was refused: {texts(replies)!r}"
    return replies


async def state(core: Core) -> dict[str, tuple[int, list[tuple[Any, ...]]]]:
    found: dict[str, tuple[int, list[tuple[Any, ...]]]] = {}
    async with core.storage.db.read() as conn:
        for table in WRITTEN:
            count = await conn.scalar(select(func.count()).select_from(table))
            rows = sorted((tuple(r) for r in await conn.execute(select(table))), key=repr)
            found[table.name] = (int(count), rows)
    return found


async def refused(core: Core, user: str, line: str, needle: str) -> str:
    """`line` is refused with a one-line reason naming `needle` and the usage; no writes."""
    before = await state(core)
    replies = await run_command(core, user, line)
    assert is_refusal(replies), f"{line!r} was not refused: {texts(replies)[:300]!r}"
    reason, _, usage = replies[0].text.partition("\nUsage: ")
    assert needle in reason, f"{line!r}: {needle!r} not in {reason!r}"
    assert "\n" not in reason and usage, replies[0].text
    assert await state(core) == before, f"{line!r} wrote something"
    return reason


async def press_refused(core: Core, user: str, args: tuple[str, ...], needle: str) -> None:
    before = await state(core)
    replies = await press(core, user, "dispute_vote", *args)
    assert is_refusal(replies) and needle in replies[0].text, texts(replies)
    assert await state(core) == before


async def jurors(core: Core, dispute_id: int, round_: int = 1) -> dict[str, str]:
    """Display name → status of the round's jurors."""
    found = await core.storage.disputes.jurors(dispute_id, round_)
    names = await core.storage.members.names({j.member_id for j in found})
    return {names[j.member_id]: j.status for j in found}


async def member_id(core: Core, name: str) -> int:
    community_id = await core.storage.communities.find_space("console", "console")
    assert community_id is not None
    found = await core.storage.members.find_by_name(community_id, name)
    assert found is not None
    return found.id


async def vote(core: Core, name: str, dispute_id: int, choice: str) -> str:
    replies = await press(core, name, "dispute_vote", str(dispute_id), choice)
    assert not is_refusal(replies), texts(replies)
    return texts(replies)
