"""A first end-to-end pass through the dispatcher on both engines."""

from __future__ import annotations

from tests.conftest import is_refusal, run_command, texts


async def test_propose_vote_close_on_both_engines(core) -> None:
    replies = await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    assert "#1 Lunch" in texts(replies)
    for user, choice in [("bob", "pizza"), ("carol", "sushi"), ("dave", "pizza")]:
        receipt = await run_command(core, user, f"/vote 1 {choice}")
        assert receipt[0].private and "Vote recorded on #1" in receipt[0].text
    refused = await run_command(core, "bob", "/vote 1 maybe")
    assert is_refusal(refused) and 'Unknown choice "maybe"' in refused[0].text
    closed = await run_command(core, "alice", "/close 1")
    assert 'passed: "pizza" wins' in texts(closed)
    again = await run_command(core, "bob", "/vote 1 sushi")
    assert is_refusal(again) and "closed" in again[0].text
