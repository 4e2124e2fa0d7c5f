"""Closing: on time, exactly once — across restarts, under load, and across processes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from handlers.proposals import closing
from storage import schema
from tests.conftest import is_refusal, press, run_command, texts
from tests.harness.core import core_env

CoreFactory = Callable[[], Awaitable[Core]]


class RecordingAdapter:
    """Stands in for a platform adapter: records what the app routes to it."""

    platform = "console"

    def __init__(self) -> None:
        self.delivered: list[Reply] = []
        self.refreshed: list[Reply] = []

    async def run(self) -> None:  # pragma: no cover - never run here
        return None

    async def deliver(self, reply: Reply) -> None:
        (self.refreshed if reply.edit else self.delivered).append(reply)

    async def stop(self) -> None:  # pragma: no cover
        return None


@pytest.fixture
async def make_core(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[CoreFactory]:
    """Builds extra cores (another process, or the same one after a restart) on one DB."""
    async with AsyncExitStack() as built:

        async def factory() -> Core:
            return await built.enter_async_context(
                core_env(tmp_path, database_url=database_url, clock=clock)
            )

        yield factory


async def _open(core: Core, line: str, *, channel_message: str | None = "1") -> int:
    """Open a proposal and, like an adapter would, remember where its card was posted."""
    replies = await run_command(core, "alice", line)
    assert not is_refusal(replies), texts(replies)
    card = replies[0].card
    assert card is not None
    if channel_message is not None:
        await core.card_sent(card, "console", "main", channel_message)
    return card.subject_id


async def _closings(core: Core) -> int:
    async with core.storage.db.read() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(schema.audit_log)
                .where(schema.audit_log.c.kind == "proposal.closed")
            )
        )


async def test_scheduler_closes_due_proposal_once_and_routes_result(
    core: Core, clock: ManualClock
) -> None:
    adapter = RecordingAdapter()
    core.adapters["console"] = adapter
    proposal_id = await _open(core, "/propose Lunch | pizza | sushi hours=1", channel_message="7")
    await _open(core, "/propose Later | a | b hours=5")
    await run_command(core, "bob", "/vote 1 sushi")
    await core.close_due()
    assert adapter.delivered == [] and await _closings(core) == 0  # nothing is due yet
    clock.advance(3600)
    await core.close_due()
    assert len(adapter.delivered) == 1
    result = adapter.delivered[0]
    assert result.where is not None
    assert (result.where.platform, result.where.channel_id) == ("console", "main")
    assert result.meta["reply_to_message"] == "7"
    assert 'passed: "sushi" wins' in result.text and result.image
    closed = await core.storage.proposals.by_id(proposal_id)
    assert closed is not None and closed.status == "closed" and closed.announced
    assert closed.closed_at == clock.now() and closed.result_hash in result.text
    later = await core.storage.proposals.get(closed.community_id, 2)
    assert later is not None and later.status == "open"
    await core.close_due()
    await asyncio.gather(core.close_due(), core.close_due())
    assert len(adapter.delivered) == 1 and await _closings(core) == 1


async def test_vote_after_end_before_closing_is_refused(core: Core, clock: ManualClock) -> None:
    proposal_id = await _open(core, "/propose Lunch | pizza | sushi hours=1")
    await run_command(core, "bob", "/vote 1 pizza")  # caches the open proposal
    clock.advance(3600)  # exactly the end time: too late
    for user in ("bob", "carol"):
        replies = await run_command(core, user, "/vote 1 sushi")
        assert is_refusal(replies) and "has ended" in replies[0].text
    replies = await press(core, "carol", "vote", str(proposal_id), "1")
    assert is_refusal(replies) and "has ended" in replies[0].text
    ballots = await core.storage.ballots.for_proposal(proposal_id)
    assert [b.selection for b in ballots] == [[0]]
    await core.close_due()
    closed = await core.storage.proposals.by_id(proposal_id)
    assert closed is not None and closed.result is not None
    assert closed.result["totals"] == [1, 0]


async def test_restart_closes_what_ended_while_down_once(
    make_core: CoreFactory, clock: ManualClock
) -> None:
    first = await make_core()
    adapter = RecordingAdapter()
    first.adapters["console"] = adapter
    proposal_id = await _open(first, "/propose Lunch | pizza | sushi hours=2")
    await run_command(first, "bob", "/vote 1 pizza")
    await run_command(first, "carol", "/vote 1 pizza")
    await first.close()  # the bot goes down …
    clock.advance(5 * 3600)  # … and the proposal ends meanwhile
    second = await make_core()  # restart on the same database
    restarted = RecordingAdapter()
    second.adapters["console"] = restarted
    await second.close_due()  # what `bot.app.run` does at start-up
    assert len(restarted.delivered) == 1
    assert 'passed: "pizza" wins' in restarted.delivered[0].text
    closed = await second.storage.proposals.by_id(proposal_id)
    assert closed is not None and closed.status == "closed"
    assert closed.closed_at == clock.now()
    await second.close_due()
    assert len(restarted.delivered) == 1 and await _closings(second) == 1
    assert adapter.delivered == []


async def test_closed_but_unannounced_is_announced_after_restart(
    make_core: CoreFactory, clock: ManualClock
) -> None:
    first = await make_core()
    proposal_id = await _open(first, "/propose Lunch | pizza | sushi hours=1")
    proposal = await first.storage.proposals.by_id(proposal_id)
    assert proposal is not None
    clock.advance(3600)
    # crash between the closing transaction and posting the result card
    assert await closing.close_proposal(first.deps, proposal, by=None) is not None
    await first.close()
    second = await make_core()
    adapter = RecordingAdapter()
    second.adapters["console"] = adapter
    await second.close_due()
    await second.close_due()
    assert len(adapter.delivered) == 1 and await _closings(second) == 1


async def _members(core: Core, names: list[str]) -> None:
    community = await core.storage.communities.find_space("console", "console")
    assert community is not None
    for name in names:
        await core.storage.members.ensure(community, "console", name, name)


async def test_500_concurrent_votes_leave_each_members_last(core: Core) -> None:
    choices = ["c0", "c1", "c2", "c3", "c4"]
    proposal_id = await _open(core, "/propose Load | " + " | ".join(choices))
    names = [f"m{i:03d}" for i in range(100)]
    await _members(core, names)  # known members: submission order is gather order
    rounds = 5
    plan = [(name, choices[(i + k) % 5]) for k in range(rounds) for i, name in enumerate(names)]

    def send(turn: int, name: str, choice: str) -> Awaitable[list[Reply]]:
        if turn % 3 == 2:  # some by button, the rest by command
            return press(core, name, "vote", str(proposal_id), str(choices.index(choice)))
        return run_command(core, name, f"/vote 1 {choice}")

    replies = await asyncio.gather(*(send(t, n, c) for t, (n, c) in enumerate(plan)))
    assert all(not is_refusal(r) and r[0].private for r in replies)
    assert sum("replaces your earlier ballot" in r[0].text for r in replies) == 400
    ballots = {b.member_id: b for b in await core.storage.ballots.for_proposal(proposal_id)}
    assert len(ballots) == 100
    community = await core.storage.communities.find_space("console", "console")
    assert community is not None
    last = {name: choice for name, choice in plan}  # the last submitted per member
    last_receipt = {name: r[0].text for (name, _), r in zip(plan, replies, strict=True)}
    for name in names:
        member = await core.storage.members.ensure(community, "console", name, name)
        ballot = ballots[member.id]
        assert choices[ballot.selection[0]] == last[name], name
        assert ballot.receipt in last_receipt[name]
    kinds = [e.kind async for e, _ in core.storage.audit.entries()]
    assert kinds.count("ballot.cast") == 500
    assert core.storage.ballots._committer.batches < 100  # group commit did batch them


async def test_concurrent_first_votes_store_the_last_committed(core: Core) -> None:
    """Members never seen before race to create themselves: still one ballot each, and
    the stored one is the last in commit (audit) order."""
    proposal_id = await _open(core, "/propose Race | a | b | c")
    plan = [(f"new{i}", "abc"[(i + k) % 3]) for k in range(3) for i in range(30)]
    replies = await asyncio.gather(*(run_command(core, n, f"/vote 1 {c}") for n, c in plan))
    assert all(not is_refusal(r) for r in replies)
    ballots = await core.storage.ballots.for_proposal(proposal_id)
    assert len(ballots) == 30
    last_entry: dict[int, str] = {}
    async for entry, _ in core.storage.audit.entries():
        if entry.kind == "ballot.cast":
            last_entry[entry.payload["member"]] = entry.hash
    assert {b.member_id: b.receipt for b in ballots} == last_entry
    receipts = {m.group(1) for r in replies if (m := re.search(r"([0-9a-f]{64})", r[0].text))}
    assert set(last_entry.values()) <= receipts


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_stacks_close_the_same_proposal_once(
    make_core: CoreFactory, clock: ManualClock
) -> None:
    one, two = await make_core(), await make_core()
    await _open(one, "/propose Lunch | pizza | sushi hours=1")
    await _open(two, "/propose Dinner | pasta | salad hours=1")
    for user in ("bob", "carol", "dave"):
        await run_command(one, user, "/vote 1 pizza")
        await run_command(two, user, "/vote 2 salad")
    # both stacks' schedulers fire at once
    clock.advance(3600)
    results = await asyncio.gather(*(closing.close_due(c.deps) for c in (one, two, one, two)))
    announced = sorted(reply.title or "" for rs in results for reply in rs if not reply.edit)
    assert announced == ["Dinner", "Lunch"]  # each result posted once, by whichever closed it
    assert await _closings(one) == 2
    # and two members press /close on different stacks at the same moment
    await _open(one, "/propose Snack | chips | fruit hours=1")
    await run_command(two, "bob", "/vote 3 chips")
    replies = await asyncio.gather(
        run_command(one, "alice", "/close 3"),
        run_command(two, "alice", "/close 3"),
        run_command(two, "root", "/close 3", admin=True),
    )
    winners = [r for r in replies if not is_refusal(r)]
    assert len(winners) == 1 and 'passed: "chips" wins' in texts(winners[0])
    for loser in (r for r in replies if is_refusal(r)):
        assert "closed" in loser[0].text
    assert await _closings(two) == 3
    async with one.storage.db.read() as conn:
        closed = await conn.scalar(
            select(func.count())
            .select_from(schema.proposals)
            .where(schema.proposals.c.status == "closed")
        )
    assert closed == 3
