"""A council's powers: its own votes (`weight=council:<name>`), the veto window on passed
proposals of a profile, and recall by the community followed by a by-election."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.markup import to_plain
from handlers.core.ports import ManualClock
from handlers.proposals.cards import when
from tests.conftest import is_refusal, run_command, texts
from tests.councils.helpers import (
    DAY,
    HOUR,
    audit_kinds,
    council,
    later,
    ok,
    seated,
    stand_all,
    vote_all,
)

CREATE = "/council create Stewards seats=3 term=30 method=stv nomination=24 voting=24"


async def seat_three(core: Core, clock: ManualClock, extra: str = "") -> None:
    """Stewards with ann, bob and cyd seated (unopposed, three for three seats)."""
    await ok(core, "admin", CREATE + extra, admin=True)
    await stand_all(core, "Stewards", "ann", "bob", "cyd")
    assert "elected unopposed" in await later(core, clock, 24 * HOUR)


async def test_council_votes_count_seated_members_once_each(core: Core, clock: ManualClock) -> None:
    await seat_three(core, clock)
    await ok(core, "cyd", "/delegate ann")  # delegation does not carry into a council vote
    card = await ok(core, "ann", "/propose Meet weekly? | yes | no weight=council:Stewards")
    assert "weight council:Stewards" in card
    voted = await ok(core, "ann", "/vote 1 yes")
    assert "weight 1: council Stewards 1" in voted
    replies = await run_command(core, "dee", "/vote 1 no")
    assert is_refusal(replies) and "Only the seated members of council Stewards" in replies[0].text
    await ok(core, "bob", "/vote 1 no")
    closed = texts(await run_command(core, "ann", "/close 1"))
    assert "Turnout: 2 voters, weight 2 of 3 eligible" in to_plain(closed)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None and proposal.result is not None
    assert proposal.result["totals"] == [1.0, 1.0]  # ann's ballot did not carry cyd's vote
    assert (await verify(core.storage)).ok


async def test_a_passed_treasury_proposal_can_be_vetoed_by_two_thirds(
    core: Core, clock: ManualClock
) -> None:
    await seat_three(core, clock, " veto_profiles=treasury veto_hours=48")
    await ok(core, "admin", "/propose Spend 10k on GPUs | yes | no profile=treasury", admin=True)
    await vote_all(core, 1, {"v1": "yes", "v2": "yes", "v3": "yes"})
    closed = to_plain(texts(await run_command(core, "admin", "/close 1", admin=True)))
    veto_ends = clock.now() + 48 * HOUR
    assert (
        f'Result: passed: "yes" wins · subject to veto by council Stewards until '
        f"{when(veto_ends)} (#2)"
    ) in closed
    posted = await later(core, clock, 1)
    assert "#1 Spend 10k on GPUs passed, subject to veto by council Stewards" in posted
    assert "its members vote on #2; a veto needs 2 of the 3 seats" in posted
    assert "#2 Veto #1 Spend 10k on GPUs · open" in to_plain(posted)
    outsider = await run_command(core, "v1", "/vote 2 for")
    assert is_refusal(outsider)
    await vote_all(core, 2, {"ann": "for", "bob": "for", "cyd": "against"})
    posted = await later(core, clock, 48 * HOUR)
    assert "#1 Spend 10k on GPUs is vetoed by council Stewards: 2 of the 2 votes needed" in posted
    card = to_plain(texts(await run_command(core, "x", "/proposal 1")))
    assert 'passed: "yes" wins · vetoed by council Stewards (#2)' in card
    veto_card = to_plain(texts(await run_command(core, "x", "/proposal 2")))
    assert "council decision: veto carried (2 for, 2 needed)" in veto_card
    assert "council.veto_decided" in await audit_kinds(core)
    shown = await ok(core, "x", "/council Stewards")
    assert "veto of passed treasury proposals within 48 h" in shown
    assert "Veto of #1 on #2: vetoed" in shown
    assert (await verify(core.storage)).ok


async def test_a_veto_short_of_two_thirds_leaves_the_proposal_final(
    core: Core, clock: ManualClock
) -> None:
    await seat_three(core, clock)
    await ok(core, "admin", "/council set Stewards veto_profiles=treasury", admin=True)
    await ok(core, "admin", "/propose Fund docs | yes | no profile=treasury", admin=True)
    await vote_all(core, 1, {"v1": "yes", "v2": "yes"})
    await run_command(core, "admin", "/close 1", admin=True)
    await later(core, clock, 1)
    await vote_all(core, 2, {"ann": "for"})  # 1 for, 0 against: a majority, not two thirds
    posted = await later(core, clock, 48 * HOUR)
    assert "#1 Fund docs is final: council Stewards did not veto it (1 for, 2 needed, #2)" in posted
    card = to_plain(texts(await run_command(core, "x", "/proposal 1")))
    assert "final: council Stewards did not veto it (#2)" in card
    a_quick_one = await ok(
        core, "admin", "/propose Lunch | pizza | sushi profile=quick", admin=True
    )
    assert a_quick_one
    await vote_all(core, 3, {"v1": "pizza"})
    await run_command(core, "admin", "/close 3", admin=True)
    assert await core.storage.proposals.get(1, 4) is None  # quick is not a veto profile
    assert (await verify(core.storage)).ok


async def test_a_veto_the_closing_listener_missed_is_opened_by_the_council_job(
    core: Core, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seat_three(core, clock)
    await ok(core, "admin", "/propose Old grant | yes | no profile=treasury", admin=True)
    await vote_all(core, 1, {"v1": "yes"})
    await run_command(core, "admin", "/close 1", admin=True)  # before the veto power
    clock.advance(HOUR)
    await ok(core, "admin", "/council set Stewards veto_profiles=treasury", admin=True)

    async def stopped(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the process stopped after the close was committed")

    monkeypatch.setattr("handlers.councils.listeners.open_vetoes", stopped)
    clock.advance(60)
    await ok(core, "admin", "/propose Spend 10k | yes | no profile=treasury", admin=True)
    await vote_all(core, 2, {"v1": "yes", "v2": "yes"})
    await run_command(core, "admin", "/close 2", admin=True)
    assert await core.storage.council_motions.vetoes_of(2) == []  # the listener never ran

    posted = await later(core, clock, 1)  # the council job catches up
    assert "#2 Spend 10k passed, subject to veto by council Stewards" in posted
    assert "Old grant" not in posted  # closed before the council could veto it
    assert len(await core.storage.council_motions.vetoes_of(2)) == 1
    assert await core.storage.council_motions.vetoes_of(1) == []
    await later(core, clock, 1)  # a second run opens nothing more
    assert len(await core.storage.council_motions.motions()) == 1
    assert (await verify(core.storage)).ok


async def test_recall_unseats_and_a_by_election_fills_the_rest_of_the_term(
    core: Core, clock: ManualClock
) -> None:
    await seat_three(core, clock)
    ends = (await seated(core, "Stewards"))["ann"].term_end
    card = to_plain(await ok(core, "dee", "/recall Stewards ann"))
    assert "#1 Recall ann from council Stewards · open" in card
    assert "method basic · weight member · threshold 67%" in card
    await vote_all(core, 1, {"dee": "for", "eve": "for", "fay": "for", "gus": "against"})
    posted = await later(core, clock, 24 * HOUR)
    assert "ann is recalled from council Stewards (#1 passed)" in posted
    assert f"A by-election fills the seat until {when(ends)}" in posted
    assert "By-election for council Stewards: 1 seat until" in posted
    assert set(await seated(core, "Stewards")) == {"bob", "cyd"}
    await stand_all(core, "Stewards", "ann", "hal")  # a recalled member may stand again
    posted = await later(core, clock, 24 * HOUR)
    assert "Vote on #2" in posted
    await vote_all(core, 2, {"dee": "hal", "eve": "hal > ann", "ann": "ann"})
    posted = await later(core, clock, 24 * HOUR)
    assert "Council Stewards: elected on #2: hal (until" in posted
    seats = await seated(core, "Stewards")
    assert set(seats) == {"bob", "cyd", "hal"} and seats["hal"].term_end == ends
    kinds = await audit_kinds(core)
    assert kinds.count("council.unseated") == 1 and "council.by_election" in kinds
    shown = await ok(core, "x", "/council Stewards")
    assert "Recall of ann on #1: recalled" in shown and "by-election #2" in shown
    report = await verify(core.storage)
    assert report.ok, report.problems


async def test_a_failed_recall_keeps_the_seat(core: Core, clock: ManualClock) -> None:
    await seat_three(core, clock)
    await ok(core, "dee", "/recall Stewards bob")
    # 3 for, 2 against: a majority, but 60% is short of the two thirds a recall needs
    await vote_all(
        core, 1, {"dee": "for", "eve": "for", "fay": "for", "gus": "against", "hal": "against"}
    )
    posted = await later(core, clock, 24 * HOUR)
    assert "The recall of bob from council Stewards failed (#1: failed threshold)" in posted
    assert "bob" in await seated(core, "Stewards")
    assert "council.unseated" not in await audit_kinds(core)
    assert (await verify(core.storage)).ok


async def test_a_recall_late_in_the_term_leaves_the_seat_vacant(
    core: Core, clock: ManualClock
) -> None:
    await seat_three(core, clock)
    clock.advance(26 * DAY)  # 4 days left, the recall takes 1: less than the 3-day lead
    await ok(core, "dee", "/recall Stewards cyd")
    await vote_all(core, 1, {"dee": "for"})
    posted = await later(core, clock, 24 * HOUR)
    assert "Too little of the term is left for a by-election" in posted
    found = await council(core, "Stewards")
    assert [e.kind for e in await core.storage.councils.elections(found.id)].count("by") == 0
    assert (await verify(core.storage)).ok
