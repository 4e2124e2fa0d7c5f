"""The ledger repository: batched durable ingestion, retraction inside a batch, export."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from bot.export_cli import write_export
from storage.repos.contributions import NewContribution, Retraction
from tests.conftest import run_command


def credit(community: int, giver: int, receiver: int, message: str, at: float, cap: int = 0):
    return NewContribution(
        community, "reaction", giver, receiver, "console", "main", message, "👍", 1.0, at, cap=cap
    )


async def _members(core, *names: str) -> list[int]:
    await run_command(core, names[0], "/rep")
    ids = []
    for name in names:
        member = await core.storage.members.ensure(1, "console", name, name)
        ids.append(member.id)
    return ids


async def test_concurrent_credits_share_transactions_and_keep_the_cap(core, clock) -> None:
    a, b, c = await _members(core, "a", "b", "c")
    repo = core.storage.contributions
    now = clock.now()
    outcomes = await asyncio.gather(
        *(repo.record(credit(1, a if i % 2 else c, b, f"m{i}", now, cap=5)) for i in range(300))
    )
    assert repo.batches < 300  # group-committed
    assert sum(o.counted for o in outcomes) == 10  # 5 from a, 5 from c
    assert await repo.count(1) == 300 and await repo.count(1, counted=True) == 10
    # A credit and its retraction in one batch: the row is stored, retracted.
    added, undone = await asyncio.gather(
        repo.record(credit(1, a, c, "x", now)),
        repo.record(Retraction(1, "console", "main", "x", a, now, emoji="👍")),
    )
    assert added.counted is False and undone.reason == "retracted"
    nothing = await repo.record(Retraction(1, "console", "main", "nope", a, now))
    assert nothing.reason == "nothing_to_retract"
    version = await repo.version(1)
    assert version > 0


async def test_export_has_every_row_and_no_text(core, clock) -> None:
    a, b = await _members(core, "a", "b")
    await core.storage.contributions.record(credit(1, a, b, "m1", clock.now()))
    await core.storage.contributions.record(credit(1, b, b, "m2", clock.now()))
    out = io.StringIO()
    assert await write_export(core.storage, "contributions", "csv", out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["giver"], r["receiver"], r["emoji"]) for r in rows] == [
        ("console:a", "console:b", "👍"),
        ("console:b", "console:b", "👍"),
    ]
    assert not any("text" in column for column in rows[0])
    out = io.StringIO()
    await write_export(core.storage, "contributions", "json", out)
    assert [r["message_id"] for r in json.loads(out.getvalue())] == ["m1", "m2"]
