"""A council's life on the clock: nominations → election → seating → term end → the next
election, with staggered cohorts, too few candidates, withdrawals and a cancelled vote.
On SQLite and PostgreSQL; the jobs run as `govbot run` runs them (`tick`)."""

from __future__ import annotations

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.proposals.cards import when
from tests.conftest import run_command, texts
from tests.councils.helpers import (
    DAY,
    HOUR,
    audit_kinds,
    council,
    later,
    ok,
    refused,
    seated,
    stand_all,
    vote_all,
)

STEWARDS = "/council create Stewards seats=4 term=30 method=stv cohorts=2 nomination=24 voting=24"


async def test_staggered_cohorts_elect_half_the_council_each_half_term(
    core: Core, clock: ManualClock
) -> None:
    created = await ok(core, "admin", STEWARDS, admin=True)
    assert "no members until its first election" in created
    assert "/stand Stewards" in created
    await stand_all(core, "Stewards", "ann", "bob", "cyd", "dee", "eve")
    posted = await later(core, clock, 24 * HOUR + 1)
    assert "5 candidates for 4 seats. Vote on #1" in posted
    election = await core.storage.proposals.get(1, 1)
    assert election is not None
    assert election.choices == ("ann", "bob", "cyd", "dee", "eve")
    assert (election.method, election.options["seats"], election.strategy) == ("stv", 4, "member")
    # first preferences: ann 3, bob 2, dee 2, eve 2, cyd 1: cyd is out; ann, then bob lead
    await vote_all(
        core,
        1,
        {
            "v1": "ann > bob",
            "v2": "ann > cyd",
            "v3": "ann > eve",
            "v4": "bob > dee",
            "v5": "bob > ann",
            "v6": "dee > eve",
            "v7": "dee > cyd",
            "v8": "eve > dee",
            "v9": "cyd > eve",
            "v10": "eve > ann",
        },
    )
    posted = await later(core, clock, 24 * HOUR)
    t1 = clock.now()
    assert "Council Stewards: elected on #1" in posted
    seats = await seated(core, "Stewards")
    assert set(seats) == {"ann", "bob", "dee", "eve"}
    assert {n for n, s in seats.items() if s.cohort == 1} == {"ann", "bob"}
    assert all(s.term_end == t1 + 30 * DAY for s in seats.values() if s.cohort == 1)
    assert all(s.term_end == t1 + 15 * DAY for s in seats.values() if s.cohort == 2)
    shown = await ok(core, "x", "/council Stewards")
    assert "Members (4 of 4 seats held)" in shown
    assert f"Next election: 2 seats of cohort 2 for the term from {when(t1 + 15 * DAY)}" in shown
    assert "#1 (/proposal 1): elected ann, bob, dee, eve" in shown

    # the next election opens by itself, lead = 2 × 24 h + 24 h before cohort 2's term ends
    quiet = await later(core, clock, 12 * DAY - 1)
    assert "Nominations are open" not in quiet
    posted = await later(core, clock, 1)
    assert "Council Stewards election: 2 seats, cohort 2" in posted
    assert f"for the term {when(t1 + 15 * DAY)} – {when(t1 + 45 * DAY)}" in posted
    await refused(core, "ann", "/stand Stewards", "already hold a seat")  # cohort 1 sits on
    await stand_all(core, "Stewards", "dee", "fay", "gus")  # dee's own term ends: may stand
    posted = await later(core, clock, 24 * HOUR)
    assert "Vote on #2" in posted
    await vote_all(core, 2, {"v1": "fay > gus", "v2": "fay > dee", "v3": "gus > fay"})
    posted = await later(core, clock, 24 * HOUR)
    assert f"they take their seats on {when(t1 + 15 * DAY)}" in posted
    assert set(await seated(core, "Stewards")) == {"ann", "bob", "dee", "eve"}  # not yet
    shown = await ok(core, "x", "/council Stewards")
    assert "elected, taking the seat on" in shown and "fay" in shown

    posted = await later(core, clock, t1 + 15 * DAY - clock.now())  # the boundary itself
    assert "the term of dee, eve has ended" in posted
    seats = await seated(core, "Stewards")
    assert set(seats) == {"ann", "bob", "fay", "gus"}
    assert seats["fay"].term_end == t1 + 45 * DAY and seats["fay"].cohort == 2

    posted = await later(core, clock, 12 * DAY)  # 3 days before cohort 1's term ends
    assert "Council Stewards election: 2 seats, cohort 1" in posted
    kinds = await audit_kinds(core)
    assert kinds.count("council.seated") == 6 and kinds.count("council.term_ended") == 2
    assert kinds.count("council.nomination_opened") == 3
    report = await verify(core.storage)
    assert report.ok, report.problems
    assert report.seatings_checked == 6


async def test_too_few_candidates_extend_once_then_seat_who_stood(
    core: Core, clock: ManualClock
) -> None:
    await ok(
        core,
        "admin",
        "/council create Board seats=3 term=30 method=approval nomination=24 voting=24",
        admin=True,
    )
    await stand_all(core, "Board", "ann")
    posted = await later(core, clock, 24 * HOUR)
    closes = clock.now() + 24 * HOUR
    assert (
        "Only 1 candidate for 3 seats on council Board: nominations are extended once, "
        f"until {when(closes)}" in posted
    )
    await stand_all(core, "Board", "bob")
    posted = await later(core, clock, 24 * HOUR)
    assert "Council Board: elected unopposed: ann (until" in posted and "bob (until" in posted
    assert "1 seat left vacant until the next election" in posted
    assert set(await seated(core, "Board")) == {"ann", "bob"}
    assert await core.storage.proposals.in_community(1, status=None) == []  # no vote held
    kinds = await audit_kinds(core)
    assert kinds == [
        "council.created",
        "council.nomination_opened",
        "council.candidate",
        "council.nomination_extended",
        "council.candidate",
        "council.seated",
        "council.seated",
        "council.election_closed",
    ]
    shown = await ok(core, "x", "/council Board")
    assert "Members (2 of 3 seats held)" in shown and "1 seat vacant" in shown
    assert "unopposed" in shown
    assert (await verify(core.storage)).ok


async def test_as_many_candidates_as_seats_are_seated_without_extension(
    core: Core, clock: ManualClock
) -> None:
    await ok(
        core,
        "admin",
        "/council create Pair seats=2 term=30 method=stv nomination=24 voting=24",
        admin=True,
    )
    await stand_all(core, "Pair", "ann", "bob")
    posted = await later(core, clock, 24 * HOUR)
    assert "elected unopposed" in posted and "vacant" not in posted
    assert "council.nomination_extended" not in await audit_kinds(core)
    assert set(await seated(core, "Pair")) == {"ann", "bob"}


async def test_withdraw_and_stand_again_goes_to_the_back_of_the_ballot(
    core: Core, clock: ManualClock
) -> None:
    await ok(
        core,
        "admin",
        "/council create Crew seats=1 term=30 method=approval rule=phragmen nomination=24 "
        "voting=24",
        admin=True,
    )
    await stand_all(core, "Crew", "ann", "bob")
    clock.advance(60)
    assert "no longer stands" in await ok(core, "ann", "/withdraw Crew")
    await refused(core, "ann", "/withdraw Crew", "not standing")
    clock.advance(60)
    await stand_all(core, "Crew", "cyd")
    clock.advance(60)
    await stand_all(core, "Crew", "ann")
    posted = await later(core, clock, 24 * HOUR)
    assert "3 candidates for 1 seat" in posted
    election = await core.storage.proposals.get(1, 1)
    assert election is not None
    assert election.choices == ("bob", "cyd", "ann")
    assert election.options == {"seats": 1, "rule": "phragmen"}
    await vote_all(core, 1, {"v1": "ann, cyd", "v2": "ann", "v3": "bob"})
    await later(core, clock, 24 * HOUR)
    assert set(await seated(core, "Crew")) == {"ann"}
    assert (await verify(core.storage)).ok


async def test_a_cancelled_election_opens_nominations_again(core: Core, clock: ManualClock) -> None:
    await ok(
        core,
        "admin",
        "/council create Crew seats=1 term=30 method=stv nomination=24 voting=24",
        admin=True,
    )
    await stand_all(core, "Crew", "ann", "bob")
    await later(core, clock, 24 * HOUR)
    assert "cancelled" in await ok(core, "admin", "/cancel 1", admin=True)
    posted = await later(core, clock, 60)
    assert "was cancelled; its nominations open again" in posted
    assert "Council Crew first election: 1 seat. Nominations are open until" in posted
    elections = await core.storage.councils.elections((await council(core, "Crew")).id)
    assert [(e.kind, e.status) for e in elections] == [
        ("first", "failed"),
        ("first", "nominating"),
    ]
    assert "council.election_failed" in await audit_kinds(core)
    assert (await verify(core.storage)).ok


async def test_an_election_nobody_votes_in_leaves_the_seats_vacant(
    core: Core, clock: ManualClock
) -> None:
    await ok(
        core,
        "admin",
        "/council create Crew seats=1 term=30 method=stv nomination=24 voting=24",
        admin=True,
    )
    await stand_all(core, "Crew", "ann", "bob")
    await later(core, clock, 24 * HOUR)
    posted = await later(core, clock, 24 * HOUR)
    assert "Council Crew: nobody was elected on #1. 1 seat left vacant" in posted
    assert await seated(core, "Crew") == {}
    shown = texts(await run_command(core, "x", "/council Crew"))
    assert "Next election: 1 seat for the term from" in shown
    assert (await verify(core.storage)).ok
