"""Reputation as vote weight (from the snapshot taken at open), minimum to propose,
votes and passed proposals as contributions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.schema import proposals
from tests.conftest import is_refusal, press, run_command, texts
from tests.reputation.helpers import new_message, person, react, score

ADMIN = person("admin", admin=True)


async def test_reputation_weighted_tally_uses_the_snapshot(core) -> None:
    for _ in range(3):
        await react(core, ADMIN, person("bob"), new_message())
    await react(core, ADMIN, person("carol"), new_message())
    opened = await run_command(core, "admin", "/propose Budget | yes | no weight=reputation")
    assert "#1" in texts(opened)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None and proposal.snapshot and proposal.snapshot.startswith("rep:")
    # While the vote runs carol farms reputation.
    carol_before = await score(core, "carol")
    for _ in range(4):
        await react(core, ADMIN, person("carol"), new_message())
    assert await score(core, "carol") > carol_before  # the live score moved…
    bob = await run_command(core, "bob", "/vote 1 no")
    carol = await run_command(core, "carol", "/vote 1 yes")
    assert "weight 3" in bob[0].text
    assert "weight 1:" in carol[0].text  # …the ballot weighs the snapshot's (1, not 5)
    ballots = await core.storage.ballots.for_proposal(proposal.id)
    assert sorted(b.weight for b in ballots) == [1.0, 3.0]
    closed = await run_command(core, "admin", "/close 1")
    assert '"no" wins' in texts(closed)  # 3 against 1 (live scores would make it 3 against 5)


async def test_minimum_reputation_to_propose(core) -> None:
    core.deps.reputation.policy.min_to_propose = 2.0
    refused = await run_command(core, "bob", "/propose Lunch | a | b")
    assert is_refusal(refused) and "at least 2" in refused[0].text
    async with core.storage.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(proposals)) == 0
    for _ in range(2):
        await react(core, ADMIN, person("bob"), new_message())
    accepted = await run_command(core, "bob", "/propose Lunch | a | b")
    assert "#1 Lunch" in texts(accepted)
    assert "#2" in texts(await run_command(core, "newbie", "/propose X | a | b", admin=True))


async def test_votes_and_passed_proposals_are_contributions(core) -> None:
    await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    await run_command(core, "bob", "/vote 1 sushi")
    await run_command(core, "bob", "/vote 1 pizza")  # a changed ballot is not a second vote
    await run_command(core, "carol", "/vote 1 pizza")
    await run_command(core, "alice", "/close 1")
    rows = [r async for r in core.storage.contributions.export()]
    kinds = sorted((r["kind"], r["receiver_user"]) for r in rows)
    assert kinds == [("proposal_passed", "alice"), ("vote", "bob"), ("vote", "carol")]
    assert all(r["giver_id"] is None for r in rows)
    assert await score(core, "alice") == pytest.approx(5.0)
    assert await score(core, "bob") == pytest.approx(0.5)


async def test_battle_ratings_are_contributions(core) -> None:
    """A member's first rating of a battle is credited; changing it is not a second one."""
    replies = await run_command(core, "alice", "/arena What is a Bradley-Terry model?")
    battle_id = replies[0].buttons[0].args[0]
    await press(core, "bob", "arena", battle_id, "a")
    await press(core, "bob", "arena", battle_id, "b")  # changed: no second credit
    await press(core, "carol", "arena", battle_id, "tie")
    rows = [r async for r in core.storage.contributions.export()]
    ratings = sorted(r["receiver_user"] for r in rows if r["kind"] == "rating")
    assert ratings == ["bob", "carol"]
    assert all(r["subject"] == f"battle:{battle_id}" for r in rows if r["kind"] == "rating")
