"""Votes through the dispatcher, on SQLite and PostgreSQL.

/vote and vote buttons: refusals that write nothing (an existing ballot survives every
one), replacing ballots, receipts; hidden tallies; each voting method end to end.
"""

from __future__ import annotations

import re

import pytest

from bot.app import Core
from handlers.core.markup import to_plain
from tests.conftest import is_refusal, press, run_command, texts
from tests.proposals.helpers import (
    close_ok,
    open_ok,
    proposal,
    refused,
    result_of,
    snapshot,
    vote_ok,
)

# --------------------------------------------------------------------------- /vote


async def test_vote_bad_input_writes_nothing(core: Core) -> None:
    await open_ok(core, "/propose Lunch | pizza | sushi")
    await open_ok(core, "/propose Rank | a | b | c method=ranked")
    await open_ok(core, "/propose Split | a | b method=weighted")
    await open_ok(core, "/propose Pick | a | b | c method=approval")
    await open_ok(core, "/propose Quad | a | b method=quadratic")
    await vote_ok(core, "bob", 1, "pizza")  # an existing ballot must survive every refusal
    cases = [
        ("/vote", "Missing <id>", "Usage: /vote <id> <ballot>"),
        ("/vote 1", "Missing <ballot>", "Usage: /vote <id> <ballot>"),
        ("/vote x pizza", "<id> must be a whole number", "Usage: /vote <id> <ballot>"),
        ("/vote 1 maybe", 'Unknown choice "maybe". Choices: pizza, sushi.', "Usage: /vote 1 "),
        ("/vote 1 3", "There is no choice number 3", "Usage: /vote 1 "),
        ("/vote 1 pizza, sushi", "one choice per ballot", "Usage: /vote 1 "),
        ("/vote 2 a > b > a", '"a" is ranked twice', "Usage: /vote 2 b > a > c"),
        ("/vote 2 a > d", 'Unknown choice "d"', "Usage: /vote 2 b > a > c"),
        ("/vote 3 a=0", 'The share for "a" must be a positive number', "Usage: /vote 3 a=70"),
        ("/vote 3 a=-5, b=3", "must be a positive number", "Usage: /vote 3 a=70"),
        ("/vote 3 a=abc", "must be a positive number", "Usage: /vote 3 a=70"),
        ("/vote 3 a=nan", "must be a positive number", "Usage: /vote 3 a=70"),
        ("/vote 3 a=inf", "must be a positive number", "Usage: /vote 3 a=70"),
        ("/vote 3 a=60, b", "Give each choice a share", "Usage: /vote 3 a=70"),
        ("/vote 3 a=1, a=2", "given a share twice", "Usage: /vote 3 a=70"),
        ("/vote 4 a, a", "approved twice", "Usage: /vote 4 a, c"),
        ("/vote 5 b=-1", "must be a positive number", "Usage: /vote 5 a=70"),
    ]
    for line, needle, usage in cases:
        await refused(core, "bob", line, needle, usage=usage)
        await refused(core, "carol", line, needle, usage=usage)  # a first-time voter too
    await refused(core, "bob", "/vote 99 pizza", "There is no proposal #99", usage=None)
    stored = await core.storage.ballots.get((await proposal(core, 1)).id, 1)
    assert stored is None or stored.selection == [0]


async def test_votes_replace_and_receipts(core: Core) -> None:
    p = await open_ok(core, "/propose Lunch | pizza | sushi")
    first = await vote_ok(core, "bob", 1, "pizza")
    assert "(weight 1: member 1)" in first and "replaces" not in first
    replies = await run_command(core, "bob", "/vote 1 2")  # by number
    assert "Vote recorded on #1: sushi" in replies[0].text
    assert "It replaces your earlier ballot." in replies[0].text
    assert any(r.edit and r.card is not None for r in replies[1:])  # live card refresh
    receipt = re.search(r"Receipt: \x10([0-9a-f]{64})\x11", replies[0].text)
    assert receipt is not None
    stored = await core.storage.ballots.for_proposal(p.id)
    assert [(b.selection, b.receipt) for b in stored] == [([1], receipt.group(1))]
    card = to_plain(texts(await run_command(core, "carol", "/proposal 1")))
    assert "Tally (1 ballot):" in card and "sushi: 1 (100%)" in card


async def test_vote_buttons(core: Core) -> None:
    p = await open_ok(core, "/propose Lunch | pizza | sushi")
    replies = await press(core, "bob", "vote", str(p.id), "0")
    assert replies[0].private and "Vote recorded on #1: pizza" in replies[0].text
    replies = await press(core, "bob", "vote", str(p.id), "1")
    assert "Vote recorded on #1: sushi" in replies[0].text and "replaces" in replies[0].text
    stored = await core.storage.ballots.for_proposal(p.id)
    assert [b.selection for b in stored] == [[1]]
    basic = await open_ok(core, "/propose Adopt it method=basic")
    card = (await run_command(core, "bob", f"/proposal {basic.number}"))[0]
    assert [b.label for b in card.buttons] == ["for", "against", "abstain"]
    ranked = await open_ok(core, "/propose Order | a | b method=ranked")
    assert (await run_command(core, "bob", f"/proposal {ranked.number}"))[0].buttons == ()
    for args, needle in [
        (("x", "0"), "malformed"),
        ((str(p.id),), "malformed"),
        ((str(p.id), "0", "1"), "malformed"),
        ((str(p.id), "2"), "out of date"),
        ((str(p.id + 100), "0"), "not part of this community"),
    ]:
        before = await snapshot(core)
        out = await press(core, "carol", "vote", *args)
        assert is_refusal(out) and needle in out[0].text, (args, texts(out))
        assert await snapshot(core) == before
    before = await snapshot(core)
    out = await press(core, "carol", "frobnicate", "1")
    assert is_refusal(out) and "no longer does anything" in out[0].text
    await run_command(core, "alice", "/close 1")
    out = await press(core, "carol", "vote", str(p.id), "0")
    assert is_refusal(out) and "closed" in out[0].text
    assert len(await core.storage.ballots.for_proposal(p.id)) == 1


async def test_hidden_tally_until_close(core: Core) -> None:
    p = await open_ok(core, "/propose Secret | red | blue hidden=yes")
    assert p.hidden
    for user, choice in [("bob", "red"), ("carol", "red"), ("dave", "blue")]:
        replies = await run_command(core, user, f"/vote 1 {choice}")
        assert [r.private for r in replies] == [True]  # no live refresh leaking the count
    card = to_plain(texts(await run_command(core, "erin", "/proposal 1")))
    assert "Ballots so far: 3 (tally hidden until close)." in card
    assert "tally hidden until close" in card
    assert not re.search(r"^\s+(✔ )?(red|blue): ", card, re.M), card
    assert "Tally (" not in card
    result = to_plain(await close_ok(core, 1))
    assert "✔ red: 2 (67%)" in result and "blue: 1 (33%)" in result


# --------------------------------------------------------------------------- methods


async def test_single_end_to_end(core: Core) -> None:
    p = await open_ok(core, "/propose Lunch | pizza | sushi | tacos threshold=50%")
    for user, choice in [("b", "pizza"), ("c", "sushi"), ("d", "pizza"), ("e", "TACOS")]:
        await vote_ok(core, user, 1, choice)
    text = to_plain(await close_ok(core, 1))
    assert 'Result: passed: "pizza" wins' in text
    assert "✔ pizza: 2 (50%)" in text and "sushi: 1 (25%)" in text and "tacos: 1 (25%)" in text
    assert "Turnout: 4 voters, weight 4 of 5 eligible (80%)" in text
    closed = await proposal(core, p.number)
    result = result_of(closed)
    assert result["totals"] == [2, 1, 1] and result["winner"] == 0
    assert f"Audit hash: {closed.result_hash}" in text


async def test_single_threshold_and_quorum_fail(core: Core) -> None:
    await open_ok(core, "/propose Strict | a | b | c threshold=66%")
    for user, choice in [("b", "a"), ("c", "a"), ("d", "b"), ("e", "c")]:
        await vote_ok(core, user, 1, choice)
    assert "failed: the winner did not reach the threshold" in to_plain(await close_ok(core, 1))
    await open_ok(core, "/propose Busy | a | b quorum=5")
    await vote_ok(core, "b", 2, "a")
    text = to_plain(await close_ok(core, 2))
    assert "failed: no quorum" in text and "quorum 5 not met" in text


async def test_basic_abstain_counts_toward_quorum_only(core: Core) -> None:
    # quorum 3 is met only thanks to the abstentions; the threshold ignores them
    p = await open_ok(core, "/propose Adopt the charter method=basic quorum=3 threshold=66%")
    assert p.choices == ("for", "against", "abstain")
    await vote_ok(core, "b", 1, "for")
    await vote_ok(core, "c", 1, "abstain")
    await vote_ok(core, "d", 1, "abstain")
    text = to_plain(await close_ok(core, 1))
    assert 'passed: "for" wins' in text and "quorum 3 met" in text
    result = result_of(await proposal(core, 1))
    assert result["totals"] == [1, 0, 2] and result["total_power"] == 3
    # without the abstentions the same for-vote misses the quorum
    await open_ok(core, "/propose Adopt again method=basic quorum=3")
    await vote_ok(core, "b", 2, "yes")
    await vote_ok(core, "c", 2, "no")
    assert "failed: no quorum" in to_plain(await close_ok(core, 2))
    # abstentions never make "for" win
    await open_ok(core, "/propose Adopt thrice method=basic")
    await vote_ok(core, "b", 3, "for")
    await vote_ok(core, "c", 3, "against")
    await vote_ok(core, "d", 3, "against")
    for user in ("e", "f", "g", "h"):
        await vote_ok(core, user, 3, "abstain")
    assert "rejected: for did not outweigh against" in to_plain(await close_ok(core, 3))
    assert result_of(await proposal(core, 3))["outcome"] == "rejected"
    # a tie between for and against is rejected too, and the card does not claim otherwise
    await open_ok(core, "/propose Adopt at last method=basic")
    await vote_ok(core, "b", 4, "for")
    await vote_ok(core, "c", 4, "against")
    assert "rejected: for did not outweigh against" in to_plain(await close_ok(core, 4))


async def test_approval_end_to_end(core: Core) -> None:
    await open_ok(core, "/propose Snacks | chips | fruit | nuts method=approval")
    await vote_ok(core, "b", 1, "chips, fruit")
    await vote_ok(core, "c", 1, "fruit")
    receipt = await vote_ok(core, "d", 1, "3, fruit")
    assert "fruit, nuts" in receipt  # shown as a set, in choice order
    text = to_plain(await close_ok(core, 1))
    assert 'passed: "fruit" wins' in text
    result = result_of(await proposal(core, 1))
    assert result["totals"] == [1, 3, 1] and result["voters"] == 3


async def test_ranked_irv_plurality_leader_loses(core: Core) -> None:
    await open_ok(core, "/propose Mascot | a | b | c method=ranked")
    ballots = ["a"] * 4 + ["b > c"] * 3 + ["c > b"] * 2
    for i, ballot in enumerate(ballots):
        await vote_ok(core, f"v{i}", 1, ballot)
    text = to_plain(await close_ok(core, 1))
    assert 'passed: "b" wins' in text  # a leads the first round but loses the runoff
    assert "Round 1: a 4, b 3, c 2 (c out)" in text
    assert "Round 2: a 4, b 5" in text
    assert text.index("Round 1") < text.index("Round 2")
    result = result_of(await proposal(core, 1))
    assert result["rounds"] == [[4, 3, 2], [4, 5, 0]] and result["eliminated"] == [2]
    assert result["winner"] == 1


async def test_weighted_end_to_end(core: Core) -> None:
    await open_ok(core, "/propose Budget | infra | docs | events method=weighted")
    receipt = await vote_ok(core, "b", 1, "infra=70, docs=30")
    assert "infra=70%, docs=30%" in receipt
    await vote_ok(core, "c", 1, "docs=1, events=1")
    await vote_ok(core, "d", 1, "docs=100%")
    text = to_plain(await close_ok(core, 1))
    assert 'passed: "docs" wins' in text
    assert "infra: 0.70" in text and "docs: 1.80" in text and "events: 0.50" in text
    result = result_of(await proposal(core, 1))
    assert result["totals"] == pytest.approx([0.7, 1.8, 0.5])


async def test_quadratic_end_to_end(core: Core) -> None:
    # the same ballots weighted and quadratic: many voters count for more under quadratic
    await open_ok(core, "/propose W | a | b method=weighted")
    await open_ok(core, "/propose Q | a | b method=quadratic")
    for number in (1, 2):
        await vote_ok(core, "b", number, "a=100")
        await vote_ok(core, "c", number, "a=100")
        await vote_ok(core, "d", number, "b=5")
    await close_ok(core, 1)
    weighted = result_of(await proposal(core, 1))
    quadratic_text = to_plain(await close_ok(core, 2))
    quadratic = result_of(await proposal(core, 2))
    assert weighted["totals"] == [2, 1]
    # (sqrt 1 + sqrt 1)^2 = 4 vs 1, rescaled to the total power 3: 2.4 vs 0.6 (Snapshot)
    assert quadratic["totals"] == pytest.approx([2.4, 0.6])
    assert 'passed: "a" wins' in quadratic_text and "a: 2.40 (80%)" in quadratic_text
