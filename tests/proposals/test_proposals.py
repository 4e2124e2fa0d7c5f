"""Proposals and votes through the dispatcher, on SQLite and PostgreSQL.

Every command's happy path; every refusal from the issue's "Bad input" list answers
with a one-line reason (plus the right usage for malformed input) and writes nothing;
each voting method end to end; hidden tallies; profiles; vote buttons; Unicode text
that must survive unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Core
from handlers.core.markup import to_plain
from storage import schema
from storage.records import ProposalRecord
from tests.conftest import is_refusal, press, run_command, texts

WRITTEN_TABLES = (schema.proposals, schema.ballots, schema.audit_log)
PROPOSE_USAGE = "Usage: /propose <title> | <choice> | <choice>"


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


# --------------------------------------------------------------------------- /propose


async def test_propose_happy_path_and_defaults(core: Core) -> None:
    replies = await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    assert len(replies) == 1
    card = replies[0]
    assert not card.private and card.card is not None and not card.edit
    assert card.thread_title == "#1 Lunch"
    plain = to_plain(card.text)
    assert plain.startswith("#1 Lunch · open")
    assert "Choices: 1. pizza  2. sushi" in plain
    assert "method single · weight member" in plain
    assert [b.label for b in card.buttons] == ["pizza", "sushi"]
    p = await proposal(core, 1)
    assert (p.title, p.choices, p.method, p.strategy, p.status) == (
        "Lunch",
        ("pizza", "sushi"),
        "single",
        "member",
        "open",
    )
    assert p.ends_at - p.created_at == 72 * 3600  # voting.default_hours
    assert (p.quorum, p.threshold, p.hidden, p.profile) == (None, None, False, None)
    assert [b.args for b in card.buttons] == [(str(p.id), "0"), (str(p.id), "1")]
    second = await open_ok(
        core,
        "/propose Logo | circle | square | triangle method=ranked hours=48 quorum=20% "
        "threshold=60% hidden=no",
    )
    assert second.number == 2 and second.method == "ranked"
    assert second.ends_at - second.created_at == 48 * 3600
    assert (second.quorum, second.threshold, second.hidden) == ("20%", 0.6, False)
    audit = [e async for e, _ in core.storage.audit.entries()]
    assert [e.kind for e in audit] == ["proposal.opened", "proposal.opened"]
    assert audit[1].payload["choices"] == ["circle", "square", "triangle"]


async def test_boundaries_are_accepted(core: Core) -> None:
    title = "t" * 200
    choices = [f"choice {i} " + "x" * (80 - len(f"choice {i} ")) for i in range(10)]
    assert all(len(c) == 80 for c in choices)
    p = await open_ok(core, f"/propose {title} | " + " | ".join(choices))
    assert p.title == title and list(p.choices) == choices
    await run_command(core, "alice", f"/describe {p.number} " + "b" * 4000)
    assert (await proposal(core, p.number)).body == "b" * 4000


async def test_propose_bad_input_writes_nothing(core: Core) -> None:
    await open_ok(core, "/propose Existing | a | b")
    eleven = " | ".join(f"c{i}" for i in range(11))
    cases = [
        ("/propose", "Give a title and at least two choices"),
        ("/propose Lunch", "at least 2 choices; got 0"),
        ("/propose Lunch | pizza", "at least 2 choices; got 1"),
        ("/propose  | a | b", "Missing <title>"),
        (f"/propose Many | {eleven}", "at most 10 choices; got 11"),
        ("/propose " + "t" * 201 + " | a | b", "201 characters; the limit is 200"),
        ("/propose Long | " + "c" * 81 + " | b", "81 characters long; the limit is 80"),
        ("/propose Dup | yes | YES", "are the same"),
        ("/propose Dup | yes | y\u200bes", "are the same"),
        ("/propose Gap | a | | b", "Choice 2 is empty"),
        ("/propose Sep | a, x | b", 'contains ","'),
        ("/propose Sep | a > x | b", 'contains ">"'),
        ("/propose Num | 1 | 2", "only digits"),
        ("/propose T | a | b method=foo", 'Unknown method "foo"'),
        ("/propose T | a | b color=red", "Unknown option color="),
        ("/propose T | a | b profile=nope", 'Unknown profile "nope"'),
        ("/propose T | a | b weight=tokens", 'Unknown weighting "tokens"'),
        ("/propose T | a | b quorum=abc", "quorum= must be a number"),
        ("/propose T | a | b quorum=150%", "at most 100%"),
        ("/propose T | a | b quorum=-1", "quorum= must be a positive number"),
        ("/propose T | a | b quorum=", "quorum= needs a value"),
        ("/propose T | a | b threshold=0", "threshold= must be above 0%"),
        ("/propose T | a | b threshold=150%", "threshold= must be above 0%"),
        ("/propose T | a | b threshold=abc", "threshold= must be a number"),
        ("/propose T | a | b hours=0", "hours= must be between"),
        ("/propose T | a | b hours=100000", "hours= must be between"),
        ("/propose T | a | b hours=-3", "hours= must be a positive number"),
        ("/propose T | a | b hours=abc", "hours= must be a number"),
        ("/propose T | a | b hours=nan", "hours= must be a positive number"),
        ("/propose T | a | b hours=inf", "hours= must be a positive number"),
        ("/propose T | a | b hours=", "hours= needs a value"),
        ("/propose T | a | b hidden=maybe", "hidden= takes yes or no"),
        ("/propose T | a | b method=ranked method=single", "method= given twice"),
        ("/propose T | a | b method=basic", "leave the choices out"),
        ("/propose " + "x" * 9000, "the limit is 8,000"),
    ]
    for line, needle in cases:
        await refused(core, "alice", line, needle)


async def test_open_proposals_per_member_are_limited(core: Core) -> None:
    for i in range(10):
        await open_ok(core, f"/propose P{i} | a | b")
    await refused(core, "alice", "/propose P10 | a | b", "10 open proposals", usage=None)
    await open_ok(core, "/propose Other | a | b", user="bob")  # the limit is per member


async def test_profiles(core: Core) -> None:
    treasury = await open_ok(core, "/propose Grant | fund | skip profile=treasury")
    assert treasury.ends_at - treasury.created_at == 168 * 3600
    assert (treasury.quorum, treasury.threshold, treasury.profile) == ("20%", 0.66, "treasury")
    card = to_plain(texts(await run_command(core, "alice", f"/proposal {treasury.number}")))
    assert "quorum 20% · threshold 66% · profile treasury" in card
    # explicit options override the profile; profile names are case-insensitive
    custom = await open_ok(core, "/propose Grant 2 | fund | skip profile=Treasury hours=10")
    assert custom.ends_at - custom.created_at == 10 * 3600
    assert (custom.quorum, custom.threshold, custom.profile) == ("20%", 0.66, "treasury")
    quick = await open_ok(core, "/propose Snack | chips | fruit profile=quick threshold=75%")
    assert quick.ends_at - quick.created_at == 24 * 3600
    assert (quick.quorum, quick.threshold) == (None, 0.75)


async def test_unicode_round_trips_unchanged(core: Core) -> None:
    title = "Fund 🚀 the לימוד lab\u200f — نعم؟ a\u200db"
    choices = ("👨‍👩‍👧 family", "مرحبا بكم", "zero\u200bwidth", "🏳️‍🌈")
    replies = await run_command(core, "alice", f"/propose {title} | " + " | ".join(choices))
    assert not is_refusal(replies), texts(replies)
    assert title in replies[0].text
    for choice in choices:
        assert choice in replies[0].text
    assert [b.label for b in replies[0].buttons] == list(choices)
    p = await proposal(core, 1)
    assert p.title == title and p.choices == choices
    async with core.storage.db.read() as conn:
        row = (await conn.execute(select(schema.proposals))).one()._mapping
    assert row["title"] == title and tuple(json.loads(row["choices"])) == choices
    description = "Why: 🌍 שלום\u200e zero\u200bwidth"
    await run_command(core, "alice", f"/describe 1 {description}")
    assert (await proposal(core, 1)).body == description
    card = texts(await run_command(core, "bob", "/proposal 1"))
    assert title in card and description in card
    receipt = await vote_ok(core, "bob", 1, choices[0])
    assert choices[0] in receipt
    await vote_ok(core, "carol", 1, choices[2])
    await vote_ok(core, "dave", 1, choices[0])
    result = await close_ok(core, 1)
    assert f'"{choices[0]}" wins' in result and title in result
    stored = await core.storage.ballots.for_proposal(p.id)
    assert sorted(b.selection[0] for b in stored) == [0, 0, 2]
    opened = [e async for e, _ in core.storage.audit.entries()][0]  # noqa: RUF015
    assert opened.payload["title"] == title and tuple(opened.payload["choices"]) == choices


# ----------------------------------------------------------------- /describe, /proposal(s)


async def test_describe(core: Core) -> None:
    await open_ok(core, "/propose Lunch | pizza | sushi")
    replies = await run_command(core, "alice", "/describe 1 Pick one for Friday.")
    assert "Description of #1 updated." in replies[0].text
    assert any(r.edit and r.card is not None for r in replies)  # the live card refreshes
    assert "Pick one for Friday." in texts(await run_command(core, "bob", "/proposal 1"))
    assert (await run_command(core, "root", "/describe 1 Admins may too.", admin=True))[0].text
    assert (await proposal(core, 1)).body == "Admins may too."
    await refused(core, "alice", "/describe 1 " + "b" * 4001, "4001 characters", usage="/describe")
    await refused(core, "alice", "/describe 1", "Missing <text>", usage="/describe")
    await refused(core, "alice", "/describe x hello", "whole number", usage="/describe")
    await refused(core, "bob", "/describe 1 mine now", "Only the author of #1", usage=None)
    await refused(core, "alice", "/describe 7 hello", "no proposal #7", usage=None)
    kinds = [e.kind async for e, _ in core.storage.audit.entries()]
    assert kinds == ["proposal.opened", "proposal.described", "proposal.described"]


async def test_proposals_list_and_card(core: Core) -> None:
    assert "No open proposals" in texts(await run_command(core, "bob", "/proposals"))
    await open_ok(core, "/propose Lunch | pizza | sushi")
    await open_ok(core, "/propose Logo | circle | square method=approval")
    await open_ok(core, "/propose Gone | x | y")
    await run_command(core, "alice", "/cancel 3")
    listing = to_plain(texts(await run_command(core, "bob", "/proposals")))
    assert "#2 Logo · approval" in listing and "#1 Lunch · single" in listing
    assert listing.index("#2 Logo") < listing.index("#1 Lunch")
    assert "Gone" not in listing
    card = await run_command(core, "bob", "/proposal #1")
    assert len(card) == 1 and "#1 Lunch · open" in to_plain(card[0].text)
    assert "Vote: /vote 1 pizza or sushi" in to_plain(card[0].text)
    cancelled = to_plain(texts(await run_command(core, "bob", "/proposal 3")))
    assert "#3 Gone · cancelled" in cancelled and "Cancelled at" in cancelled
    await refused(core, "bob", "/proposal 1 2", 'Too many arguments: "2"', usage="/proposal <id>")
    await refused(core, "bob", "/proposal x", "whole number", usage="/proposal <id>")
    await refused(core, "bob", "/proposal", "Missing <id>", usage="/proposal <id>")
    await refused(core, "bob", "/proposal 99", "There is no proposal #99", usage=None)
    await refused(core, "bob", "/proposals now", "Too many arguments", usage="/proposals")


async def test_help_and_unknown_command(core: Core) -> None:
    listing = to_plain(texts(await run_command(core, "bob", "/help")))
    for name in ("help", "propose", "describe", "proposals", "proposal", "vote", "close", "cancel"):
        assert f"/{name} — " in listing
    assert "Details: /help <command>" in listing
    vote = to_plain(texts(await run_command(core, "bob", "/help vote")))
    assert vote.startswith("/vote: ") and "Usage: /vote <id> <ballot>" in vote
    assert to_plain(texts(await run_command(core, "bob", "/help /propose"))).startswith("/propose")
    await refused(core, "bob", "/help nope", "Unknown command /nope", usage=None)
    await refused(core, "bob", "/nope", "Unknown command /nope. Try /help.", usage=None)
    await refused(core, "bob", "/help vote close", "Too many arguments", usage="/help")


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


# --------------------------------------------------------------------------- /close, /cancel


async def test_only_author_or_admin_closes_or_cancels(core: Core) -> None:
    await open_ok(core, "/propose Lunch | pizza | sushi")
    await open_ok(core, "/propose Dinner | pasta | salad")
    await open_ok(core, "/propose Snack | chips | fruit")
    await vote_ok(core, "bob", 1, "pizza")
    await refused(core, "bob", "/close 1", "Only the author of #1 or an admin", usage=None)
    await refused(core, "bob", "/cancel 1", "Only the author of #1 or an admin", usage=None)
    await refused(core, "bob", "/close 1 now", "Too many arguments", usage="/close <id>")
    await refused(core, "bob", "/close", "Missing <id>", usage="/close <id>")
    await refused(core, "bob", "/cancel x", "whole number", usage="/cancel <id>")
    await refused(core, "bob", "/close 9", "There is no proposal #9", usage=None)
    # the author closes
    result = await close_ok(core, 1)
    assert 'passed: "pizza" wins' in result
    await refused(core, "alice", "/close 1", "already closed", usage=None)
    await refused(core, "alice", "/cancel 1", "already closed", usage=None)
    await refused(core, "carol", "/vote 1 sushi", "already closed", usage=None)
    # an admin closes someone else's
    admin_close = await run_command(core, "root", "/close 2", admin=True)
    assert not is_refusal(admin_close) and "#2 Dinner" in texts(admin_close)
    # the author cancels; then nothing more happens to it
    cancelled = await run_command(core, "alice", "/cancel 3")
    assert "Proposal #3 is cancelled" in texts(cancelled)
    assert (await proposal(core, 3)).status == "cancelled"
    await refused(core, "bob", "/vote 3 chips", "already cancelled", usage=None)
    await refused(core, "alice", "/close 3", "already cancelled", usage=None)
    # an admin cancels
    await open_ok(core, "/propose Brunch | eggs | toast")
    assert "cancelled" in texts(await run_command(core, "root", "/cancel 4", admin=True))
    kinds = [e.kind async for e, _ in core.storage.audit.entries()]
    assert kinds.count("proposal.closed") == 2 and kinds.count("proposal.cancelled") == 2


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


async def test_result_card_has_chart_and_audit_hash(core: Core) -> None:
    await open_ok(core, "/propose Lunch | pizza | sushi")
    await vote_ok(core, "bob", 1, "sushi")
    replies = await run_command(core, "alice", "/close 1")
    cards = [r for r in replies if r.image]
    assert len(cards) == 1
    with open(cards[0].image, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"
    closed = await proposal(core, 1)
    assert closed.result_hash and closed.result_hash in cards[0].text
    again = await run_command(core, "bob", "/proposal 1")  # a closed card is the result card
    assert "Result:" in again[0].text and closed.result_hash in again[0].text


async def test_refused_close_by_a_stranger_creates_no_member(core: Core) -> None:
    """A refusal writes nothing, not even a member row that would swell eligible power."""
    await open_ok(core, "/propose Lunch | pizza | sushi")
    before = await core.storage.members.count(1)
    replies = await run_command(core, "mallory", "/close 1")
    assert is_refusal(replies) and "Only the author" in replies[0].text
    assert await core.storage.members.count(1) == before
    assert await core.storage.members.find(1, "console", "mallory") is None
