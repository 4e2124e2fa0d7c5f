"""Reminders before votes close: each offset once, across restarts and processes, with
turnout and what quorum needs; /remind on|off and its private reminders."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from handlers.reach.quorum import describe, standing
from handlers.reach.reminders import send_due
from storage.schema_reach import reminder_optins, reminders_sent
from tests.conftest import is_refusal, run_command, texts
from tests.harness.core import core_env

HOUR = 3600.0


async def _rows(core: Core, table: object) -> int:
    async with core.storage.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def _propose(core: Core, line: str) -> int:
    await run_command(core, "alice", line)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None
    # the card's place, as an adapter records it after posting
    await core.storage.cards.remember("proposal", 1, proposal.id, "console", "main", "m1")
    return proposal.id


def _reminders(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.where is not None and not r.where.is_private]


async def test_each_offset_once_with_quorum_needs(core: Core, clock: ManualClock) -> None:
    await _propose(core, "/propose Budget | yes | no hours=48 quorum=5")
    for voter in ("bob", "carol"):
        await run_command(core, voter, "/vote 1 yes")
    assert await send_due(core.deps) == []  # 48 h left: nothing due
    clock.advance(24 * HOUR + 1)  # 23 h 59 min left
    [first] = _reminders(await send_due(core.deps))
    assert first.where is not None and first.where.channel_id == "main"
    assert first.meta["reply_to_message"] == "m1"
    assert "#1 Budget" in first.text and "closes in 23 h 59 min" in first.text
    assert "Turnout so far: 2 ballots" in first.text
    assert "3 more ballots reach quorum (5)" in first.text
    assert "@" not in first.text  # nobody is mentioned
    assert await send_due(core.deps) == []  # twice: no duplicate
    await run_command(core, "dave", "/vote 1 no")
    clock.advance(23 * HOUR)  # 59 min left
    [second] = _reminders(await send_due(core.deps))
    assert "closes in 59 min" in second.text and "2 more ballots" in second.text
    assert await send_due(core.deps) == []
    assert await _rows(core, reminders_sent) == 2


async def test_a_restart_and_a_second_process_send_nothing_twice(
    core: Core, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    await _propose(core, "/propose Budget | yes | no hours=48")
    clock.advance(47 * HOUR + 30 * 60)  # both offsets passed while "down": the nearer one only
    async with core_env(tmp_path / "other", database_url=database_url, clock=clock) as other:
        together = await asyncio.gather(send_due(core.deps), send_due(other.deps))
        sent = [r for replies in together for r in _reminders(replies)]
        assert len(sent) == 1 and "closes in 30 min" in sent[0].text
        assert "No quorum is required." in sent[0].text
        assert await send_due(other.deps) == [] and await send_due(core.deps) == []
    async with core_env(tmp_path / "again", database_url=database_url, clock=clock) as again:
        assert await send_due(again.deps) == []  # after a restart
    assert await _rows(core, reminders_sent) == 2  # the 24 h one was folded, never sent late


async def test_percent_quorum_of_token_like_power() -> None:
    from storage.records import ProposalRecord

    proposal = ProposalRecord(
        1, 1, 1, "t", "", ("yes", "no"), "single", "erc20:0xabc", None, "20%", None,
        False, None, 1, "open", 0.0, 10.0, None, None, None, None, False,
    )  # fmt: skip
    lines = describe(proposal, standing(proposal, [100.0, 300.0, 200.0], 20_000.0))
    assert lines[0] == "Turnout so far: 3 ballots, 600 tokens of 20,000 eligible (3%)."
    # 4,000 needed, 3,400 more; mean ballot 200 → 17 more ballots
    assert lines[1] == "17 more ballots or 3,400 more tokens reach quorum (20%)."


async def test_short_proposals_skip_offsets_longer_than_their_vote(
    core: Core, clock: ManualClock
) -> None:
    await _propose(core, "/propose Quick | yes | no hours=2")
    clock.advance(30 * 60)
    assert await send_due(core.deps) == []  # the 24 h offset is before it opened
    clock.advance(31 * 60)
    [one] = _reminders(await send_due(core.deps))
    assert "closes in 59 min" in one.text


async def test_remind_on_sends_one_private_reminder_with_buttons(
    core: Core, clock: ManualClock
) -> None:
    pid = await _propose(core, "/propose Budget | yes | no hours=48")
    assert "Reminders on" in texts(await run_command(core, "bob", "/remind on"))
    assert "already on" in texts(await run_command(core, "bob", "/remind on"))
    await run_command(core, "carol", "/remind on")
    await run_command(core, "carol", "/vote 1 no")  # carol voted: no reminder for her
    await run_command(core, "dave", "/remind on")
    assert "Reminders off" in texts(await run_command(core, "dave", "/remind off"))
    clock.advance(24 * HOUR + 60)
    replies = await send_due(core.deps)
    private = [r for r in replies if r.where is not None and r.where.is_private]
    assert [r.where.channel_id for r in private if r.where] == ["bob"]
    assert "You have not voted yet" in private[0].text
    assert [(b.action, b.args) for b in private[0].buttons] == [
        ("vote", (str(pid), "0")),
        ("vote", (str(pid), "1")),
    ]
    clock.advance(23 * HOUR)
    again = await send_due(core.deps)
    assert not [r for r in again if r.where and r.where.is_private]  # once per proposal
    assert (await verify(core.storage)).ok


async def test_bad_remind_argument_writes_nothing(core: Core) -> None:
    before = (await _rows(core, reminder_optins), await core.storage.audit.count())
    for line in ("/remind", "/remind maybe"):
        replies = await run_command(core, "bob", line)
        assert is_refusal(replies) and "/remind on|off" in texts(replies)
    after = (await _rows(core, reminder_optins), await core.storage.audit.count())
    assert after == before


async def test_console_end_to_end(core: Core, clock: ManualClock) -> None:
    import io

    from bot.adapters.console import ConsoleAdapter

    script = (
        "/propose Budget | yes | no hours=48 quorum=3\n/as bob\n/remind on\n/remind sometimes\n"
    )
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(script), stdout=out)
    core.adapters["console"] = console
    await console.run()
    assert "must be one of on, off" in out.getvalue()  # the refusal, with the choices
    clock.advance(24 * HOUR + 60)
    [job] = [j for j in core.jobs() if j.name == "remind before proposals close"]
    for _ in range(2):
        await core.run_job(job)
    shown = out.getvalue()
    assert shown.count("closes in 23 h 59 min") == 2  # once in the channel, once to bob
    assert shown.count("You have not voted yet") == 1
    assert "3 more ballots reach quorum (3)" in shown
