"""Deliveries: a platform event delivered twice is applied once (both engines).

Telegram redelivers an update whose offset was not confirmed. The vote it carries must
not vote again: the ballot records the update's key in its own transaction, and the
same key cast again writes nothing and answers with the first receipt.
"""

from __future__ import annotations

import time

from bot.app import Core
from handlers.core.types import Command, Event
from tests.conftest import WHERE, actor, run_command

KEY = "telegram:4242:17"


async def vote(core: Core, user: str, ballot: str, key: str | None) -> str:
    event = Event(actor(user), WHERE, Command("vote", f"1 {ballot}"), key=key)
    [receipt, *_] = await core.dispatcher.handle(event)
    return receipt.text


async def ballot_entries(core: Core) -> list[dict[str, object]]:
    return [e.payload async for e, _ in core.storage.audit.entries() if e.kind == "ballot.cast"]


async def test_a_redelivered_vote_answers_with_its_first_receipt_and_writes_nothing(
    core: Core,
) -> None:
    await run_command(core, "alice", "/propose Lunch | pizza | salad")
    first = await vote(core, "bob", "pizza", KEY)
    assert "Receipt" in first
    assert await core.storage.deliveries.seen([KEY]) == {KEY: False}, "effect noted, not done"

    again = await vote(core, "bob", "pizza", KEY)  # the same update delivered again
    assert again == first, "the first receipt, not a new ballot"
    await vote(core, "bob", "salad", KEY)  # even if it said something else, the key decides
    entries = await ballot_entries(core)
    assert len(entries) == 1 and entries[0]["selection"] == [0]
    community = await core.storage.communities.find_space("console", "console")
    assert community is not None
    proposal = await core.storage.proposals.get(community, 1)
    [stored] = await core.storage.ballots.for_proposal(proposal.id)  # type: ignore[union-attr]
    assert stored.selection == [0]

    other = await vote(core, "bob", "salad", "telegram:4242:18")  # a new update votes
    assert other != first and "replaces your earlier ballot" in other
    assert len(await ballot_entries(core)) == 2
    unkeyed = await vote(core, "bob", "pizza", None)  # no key: every delivery counts
    assert "replaces" in unkeyed and len(await ballot_entries(core)) == 3


async def test_done_keys_are_remembered_and_pruned(core: Core) -> None:
    deliveries = core.storage.deliveries
    assert await deliveries.seen(["a", "b"]) == {}
    await deliveries.mark_done("a")
    await deliveries.mark_done("a")  # twice is once
    assert await deliveries.seen(["a", "b"]) == {"a": True}
    assert await deliveries.prune(time.time() - 60) == 0
    assert await deliveries.prune(time.time() + 1) == 1
    assert await deliveries.seen(["a"]) == {}
