"""Bad input to the council commands: one-line reason plus usage, and nothing written
(council tables, proposals, ballots and the audit log unchanged)."""

from __future__ import annotations

import pytest
from eth_account import Account

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.core.types import Command, Event, Where
from tests.conftest import actor, is_refusal
from tests.councils.helpers import HOUR, later, ok, refused, snapshot, stand_all
from tests.wallets.conftest import link_wallet

CREATE = "/council create Stewards seats=3 term=30 method=stv nomination=24 voting=24"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("/council create Stewards seats=0 term=30 method=stv", "seats= must be between 1"),
        ("/council create Stewards seats=-2 term=30 method=stv", "seats= must be between 1"),
        ("/council create Stewards seats=two term=30 method=stv", "seats= takes a whole number"),
        ("/council create Stewards seats=3 term=0 method=stv", "term= is a number of days above 0"),
        (
            "/council create Stewards seats=3 term=-5 method=stv",
            "term= is a number of days above 0",
        ),
        ("/council create Stewards seats=3 term=soon method=stv", "term= takes a number"),
        ("/council create Stewards seats=3 term=30 method=borda", 'Unknown method "borda"'),
        ("/council create Stewards seats=3 term=30", "Say method="),
        ("/council create Stewards term=30 method=stv", "Say seats="),
        ("/council create Stewards seats=3 term=30 method=stv rule=pav", 'Unknown rule "pav"'),
        (
            "/council create Stewards seats=1 term=30 method=stv cohorts=2",
            "cohorts=2 needs at least",
        ),
        ("/council create Stewards seats=3 term=30 method=stv cohorts=3", "cohorts= is 1 or 2"),
        ("/council create Stewards seats=3 term=4 method=stv", "must fit between two elections"),
        (
            "/council create Stewards seats=3 term=30 method=stv colour=red",
            "Unknown option colour=",
        ),
        ("/council create Stewards seats=3 seats=4 term=30 method=stv", "seats= is given twice"),
        (
            "/council create Stewards seats=3 term=30 method=stv electorate=votes",
            "Unknown weighting",
        ),
        (
            "/council create Stewards seats=3 term=30 method=stv electorate=council:Stewards",
            "cannot elect itself",
        ),
        (
            "/council create Stewards seats=3 term=30 method=stv electorate=council:Board",
            'no council "Board"',
        ),
        ("/council create Stewards seats=3 term=nan method=stv", "term= takes a number"),
        ("/council create Stewards seats=3 term=1e9 method=stv", "term= is at most"),
        ("/council create Stewards seats=3 term=30 method=stv require_wallet=maybe", "yes or no"),
        ("/council create Stewards seats=3 term=30 method=stv min_reputation=-1", "negative"),
        ("/council create Stewards seats=3 term=30 method=stv veto_profiles=grants", "no profile"),
        ("/council create Stewards seats=3 term=30 method=stv nomination=0", "nomination= must be"),
        ("/council create 9lives seats=3 term=30 method=stv", "cannot name a council"),
        ("/council create create seats=3 term=30 method=stv", "a word of /council itself"),
        ("/council create seats=3 term=30 method=stv", "Name the council first"),
    ],
)
async def test_create_refuses_bad_input(core: Core, line: str, needle: str) -> None:
    await refused(core, "admin", line, needle, admin=True)


async def test_create_refuses_a_duplicate_name_and_non_admins(core: Core) -> None:
    await refused(core, "alice", CREATE, "Only admins can create councils")
    await ok(core, "admin", CREATE, admin=True)
    await refused(
        core, "admin", CREATE.replace("Stewards", "stewards"), "already a council", admin=True
    )
    await refused(core, "alice", "/council set Stewards veto_hours=4", "Only admins")
    await refused(core, "admin", "/council set Stewards seats=9", "not seats=", admin=True)
    await refused(core, "admin", "/council set Nobody veto_hours=4", "no council", admin=True)
    await refused(core, "admin", "/council set Stewards", "Say what to change", admin=True)


async def test_create_in_a_private_chat_is_refused(core: Core) -> None:
    before = await snapshot(core)
    private = Where("console", "console", "dm", is_private=True)
    replies = await core.dispatch(
        Event(actor("admin", admin=True), private, Command("council", CREATE[len("/council ") :]))
    )
    assert is_refusal(replies) and "community's chat" in replies[0].text
    assert await snapshot(core) == before


async def test_standing_is_refused_with_the_reason(core: Core, clock: ManualClock) -> None:
    await refused(core, "ann", "/stand Stewards", 'no council "Stewards"')
    await ok(core, "admin", CREATE, admin=True)
    await ok(core, "ann", "/stand Stewards")
    await refused(core, "ann", "/stand Stewards", "already standing")
    await refused(core, "bob", "/withdraw Stewards", "not standing")
    await refused(core, "bob", "/stand", "Missing <council>")
    await stand_all(core, "Stewards", "bob", "cyd", "dee")
    await later(core, clock, 24 * HOUR)  # nominations closed: the vote is open
    await refused(core, "eve", "/stand Stewards", "not open now")
    await refused(core, "ann", "/withdraw Stewards", "not open now")


async def test_standing_needs_the_councils_minimum_reputation(core: Core) -> None:
    await ok(core, "admin", CREATE.replace("Stewards", "Elders") + " min_reputation=5", admin=True)
    await refused(
        core, "newcomer", "/stand Elders", "needs a reputation of at least 5; yours is 0.0"
    )


async def test_standing_needs_a_linked_wallet_when_required(core: Core) -> None:
    await ok(core, "admin", CREATE + " require_wallet=yes", admin=True)
    await refused(core, "ann", "/stand Stewards", "needs a linked wallet")
    linked = await link_wallet(core, "bob", Account.create())
    assert not is_refusal(linked), linked[0].text
    assert "stands for council Stewards" in await ok(core, "bob", "/stand Stewards")


async def test_recall_refuses_non_members_and_unknown_names(core: Core, clock: ManualClock) -> None:
    await ok(core, "admin", CREATE, admin=True)
    await stand_all(core, "Stewards", "ann", "bob", "cyd")
    await later(core, clock, 24 * HOUR)  # three for three seats: seated unopposed
    await ok(core, "dee", "/propose Lunch | pizza | sushi")  # dee is known, not on the council
    await refused(core, "eve", "/recall Stewards dee", "does not hold a seat")
    await refused(core, "eve", "/recall Stewards zed", 'No member called "zed"')
    await refused(core, "eve", "/recall Nobody ann", 'no council "Nobody"')
    await refused(core, "eve", "/recall Stewards", "Missing <member>")
    await ok(core, "eve", "/recall Stewards ann")
    await refused(core, "dee", "/recall Stewards ann", "already being voted on")


async def test_council_only_votes_refuse_outsiders(core: Core, clock: ManualClock) -> None:
    await ok(core, "admin", CREATE, admin=True)
    await stand_all(core, "Stewards", "ann", "bob", "cyd")
    await later(core, clock, 24 * HOUR)
    await refused(
        core, "ann", "/propose Budget | a | b weight=council:Nobody", 'no council "Nobody"'
    )
    await refused(
        core,
        "ann",
        "/propose Budget | a | b weight=council:Stewards electorate=member",
        "not both",
    )
    await ok(core, "ann", "/propose Budget | a | b electorate=council:Stewards")
    await refused(
        core, "dee", "/vote 1 a", "Only the seated members of council Stewards", usage=False
    )
    await ok(core, "admin", "/council set Stewards council_votes=no", admin=True)
    await refused(
        core, "ann", "/propose Again | a | b weight=council:Stewards", "does not hold votes"
    )
