"""stv, approval committees, budget and condorcet through /propose, /vote, /close and
`govbot audit verify`, on both engines; bad options refused with nothing written."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.audit.verify import verify
from storage import schema
from tests.conftest import run_command, texts
from tests.proposals.helpers import proposal, refused, snapshot


async def _vote_all(core: Core, number: int, ballots: dict[str, str]) -> None:
    for user, ballot in ballots.items():
        replies = await run_command(core, user, f"/vote {number} {ballot}")
        assert "Vote recorded" in texts(replies), texts(replies)


async def test_stv_elects_seats_with_every_stage_on_the_result_card(core: Core) -> None:
    replies = await run_command(
        core, "alice", "/propose Board | ann | bob | cyd | dee method=stv seats=2"
    )
    assert "2 seat(s), Scottish rules" in texts(replies)
    ballots = {
        "u1": "ann > bob",
        "u2": "ann > bob",
        "u3": "ann > cyd",
        "u4": "ann > bob",
        "u5": "cyd > dee",
        "u6": "dee > cyd",
        "u7": "cyd",
    }
    await _vote_all(core, 1, ballots)
    closed = texts(await run_command(core, "alice", "/close 1"))
    # 7 ballots, 2 seats: quota 3; ann has 4 (surplus 1 goes 3/4 to bob, 1/4 to cyd);
    # dee is excluded and cyd reaches the quota.
    assert "elected: ann, cyd" in closed
    assert "Quota (Droop): 3" in closed
    assert "surplus of ann transferred" in closed and "dee excluded" in closed
    record = await proposal(core, 1)
    assert record.result is not None and record.result["winners"] == [0, 2]
    assert record.options == {"seats": 2, "stv_rule": "gregory"}
    report = await verify(core.storage)
    assert report.ok, report.problems


async def test_verify_catches_a_tampered_election_result(core: Core) -> None:
    await run_command(core, "alice", "/propose Board | ann | bob | cyd method=stv seats=2")
    await _vote_all(core, 1, {"u1": "ann > bob", "u2": "bob", "u3": "cyd > ann"})
    await run_command(core, "alice", "/close 1")
    record = await proposal(core, 1)
    assert record.result is not None
    forged = dict(record.result, winners=[0, 1, 2])
    from sqlalchemy import update

    from storage.records import dumps

    async with core.storage.db.write() as conn:
        await conn.execute(
            update(schema.proposals)
            .where(schema.proposals.c.id == record.id)
            .values(result=dumps(forged))
        )
    report = await verify(core.storage)
    assert not report.ok and "stored result differs" in report.problems[0]


async def test_approval_committee_and_rules(core: Core) -> None:
    await run_command(
        core, "alice", "/propose Panel | a | b | c | d method=approval seats=2 rule=phragmen"
    )
    await _vote_all(
        core, 1, {"u1": "a, b", "u2": "a, b", "u3": "a, b", "u4": "c", "u5": "c", "u6": "a"}
    )
    closed = texts(await run_command(core, "alice", "/close 1"))
    # a first (load 1/4); then c (load 1/2) beats b ((1 + 3/4) / 3): proportionality
    assert "elected: a, c" in closed
    assert "Seat 1: a" in closed
    assert (await verify(core.storage)).ok


async def test_budget_funds_projects_and_reports_money_left(core: Core) -> None:
    replies = await run_command(
        core,
        "alice",
        "/propose Q1 grants | evals 4000 | hosting 2500 | red-teaming 3000 "
        "method=budget budget=6000",
    )
    card = texts(replies)
    assert "evals (4,000)" in card and "budget 6,000, Equal Shares" in card
    await _vote_all(core, 1, {"u1": "evals", "u2": "evals, hosting", "u3": "hosting, red-teaming"})
    closed = texts(await run_command(core, "alice", "/close 1"))
    assert "funded: evals" in closed
    assert "left" in closed
    record = await proposal(core, 1)
    assert record.result is not None
    funded = record.result["winners"]
    spent = sum([4000, 2500, 3000][i] for i in funded)
    assert spent <= 6000 and record.result["detail"]["left"] == 6000 - spent
    assert (await verify(core.storage)).ok


async def test_condorcet_shows_the_pairwise_matrix(core: Core) -> None:
    await run_command(core, "alice", "/propose Logo | red | green | blue method=condorcet")
    await _vote_all(
        core, 1, {"u1": "red > green > blue", "u2": "green > red > blue", "u3": "red > blue"}
    )
    closed = texts(await run_command(core, "alice", "/close 1"))
    assert 'passed: "red" wins' in closed
    assert "Pairwise (row preferred to column):" in closed
    assert (await verify(core.storage)).ok


async def test_fifty_candidates_allowed_for_elections_only(core: Core) -> None:
    names = " | ".join(f"c{i}x" for i in range(50))
    replies = await run_command(core, "alice", f"/propose Big | {names} method=stv seats=5")
    assert "#1" in texts(replies)
    eleven = " | ".join(f"c{i}x" for i in range(11))
    await refused(core, "alice", f"/propose Small | {eleven}", "at most 10 choices")
    many = " | ".join(f"c{i}x" for i in range(51))
    await refused(core, "alice", f"/propose Big | {many} method=stv seats=5", "at most 50")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("/propose B | a | b method=stv seats=2", "needs more than 2 candidates"),
        ("/propose B | a | b | c method=stv seats=0", "at least 1"),
        ("/propose B | a | b | c method=stv seats=x", "whole number"),
        ("/propose B | a | b | c method=stv stv_rule=hare", 'Unknown stv_rule "hare"'),
        ("/propose B | a | b | c method=approval seats=2 rule=borda", 'Unknown rule "borda"'),
        ("/propose B | a | b | c method=approval rule=pav", "give seats= too"),
        ("/propose B | a | b | c method=single seats=2", "method=single takes no seats="),
        ("/propose Q | a 10 | b method=budget budget=50", "has none"),
        ("/propose Q | a 10 | b -5 method=budget budget=50", "must be positive"),
        ("/propose Q | a 10 | b 0 method=budget budget=50", "must be positive"),
        ("/propose Q | a 10 | b 20 method=budget", "needs the money to split"),
        ("/propose Q | a 10 | b 20 method=budget budget=5", "smaller than every project"),
        ("/propose Q | a 10 | b 20 method=budget budget=50 rule=pav", 'Unknown rule "pav"'),
        ("/propose B | a | b | c method=stv seats=1 threshold=60%", "does not apply"),
    ],
)
async def test_bad_election_options_are_refused_writing_nothing(
    core: Core, line: str, needle: str
) -> None:
    await refused(core, "alice", line, needle)


async def test_a_ranked_ballot_naming_a_candidate_twice_is_refused(core: Core) -> None:
    await run_command(core, "alice", "/propose Board | ann | bob | cyd method=stv seats=2")
    before = await snapshot(core)
    replies = await run_command(core, "u1", "/vote 1 ann > bob > ann")
    assert "ranked twice" in texts(replies)
    assert await snapshot(core) == before
