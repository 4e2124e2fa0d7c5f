"""Proposals through the dispatcher, on SQLite and PostgreSQL.

Every command's happy path (/propose, /describe, /proposals, /proposal, /close,
/cancel); every refusal from the "Bad input" list answers with a one-line reason (plus
the right usage for malformed input) and writes nothing; profiles; result cards; Unicode
text that must survive unchanged. Votes and voting methods: tests/voting/test_votes.py.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.app import Core
from handlers.core.markup import to_plain
from storage import schema
from tests.conftest import is_refusal, run_command, texts
from tests.proposals.helpers import close_ok, open_ok, proposal, refused, vote_ok

PROPOSE_USAGE = "Usage: /propose <title> | <choice> | <choice>"


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
