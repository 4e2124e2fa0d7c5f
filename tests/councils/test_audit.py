"""`govbot audit verify` re-derives every council seat from its election's logged result:
edited tables and forged (but properly chained) entries are named."""

from __future__ import annotations

from sqlalchemy import update

from bot.app import Core
from bot.audit_cli import verify_command
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from storage.repos.audit import NewEntry
from storage.schema_councils import council_motions, council_seats
from tests.councils.helpers import HOUR, later, ok, seated, stand_all, vote_all


async def elect(core: Core, clock: ManualClock) -> None:
    """Stewards (2 seats, STV): ann and bob elected on #1 over cyd."""
    await ok(
        core,
        "admin",
        "/council create Stewards seats=2 term=30 method=stv nomination=24 voting=24 "
        "veto_profiles=treasury",
        admin=True,
    )
    await stand_all(core, "Stewards", "ann", "bob", "cyd")
    await later(core, clock, 24 * HOUR)
    await vote_all(core, 1, {"v1": "ann", "v2": "ann > bob", "v3": "bob", "v4": "bob", "v5": "cyd"})
    await later(core, clock, 24 * HOUR)
    assert set(await seated(core, "Stewards")) == {"ann", "bob"}


async def test_verify_passes_and_counts_seats(core: Core, clock: ManualClock, capsys) -> None:  # type: ignore[no-untyped-def]
    await elect(core, clock)
    report = await verify(core.storage)
    assert report.ok and report.seatings_checked == 2
    assert await verify_command(core.settings) == 0
    assert "2 council seats matching their elections" in capsys.readouterr().out


async def test_a_seat_given_to_someone_else_in_the_table_is_named(
    core: Core, clock: ManualClock
) -> None:
    await elect(core, clock)
    cyd = await core.storage.members.find_by_name(1, "cyd")
    assert cyd is not None
    async with core.storage.db.write() as conn:
        await conn.execute(
            update(council_seats).where(council_seats.c.id == 1).values(member_id=cyd.id)
        )
    report = await verify(core.storage)
    assert report.problems == [
        "council seat 1: the seats table differs from its council.seated entry"
    ]


async def test_a_forged_seating_entry_is_named_even_when_chained(
    core: Core, clock: ManualClock
) -> None:
    await elect(core, clock)
    cyd = await core.storage.members.find_by_name(1, "cyd")
    assert cyd is not None
    ann = (await seated(core, "Stewards"))["ann"]
    forged = {
        "council": 1,
        "seat": 99,
        "election": ann.election_id,
        "member": cyd.id,
        "cohort": 1,
        "term_start": ann.term_start,
        "term_end": ann.term_end,
        "proposal": ann.proposal_id,
    }
    async with core.storage.db.write() as conn:  # an insider with write access
        await core.storage.audit.append(
            conn, [NewEntry("council.seated", "council:1", forged, 1, clock.now())]
        )
        values = {
            k: v
            for k, v in forged.items()
            if k not in ("council", "seat", "election", "member", "proposal")
        }
        await conn.execute(
            council_seats.insert().values(
                id=99,
                council_id=1,
                community_id=1,
                member_id=cyd.id,
                election_id=ann.election_id,
                proposal_id=ann.proposal_id,
                seated_at=clock.now(),
                **values,
            )
        )
    report = await verify(core.storage)
    assert len(report.problems) == 1
    assert "council 1 election 1: seated" in report.problems[0]
    assert "but its result elects" in report.problems[0]


async def test_a_seat_ended_by_hand_is_named(core: Core, clock: ManualClock) -> None:
    await elect(core, clock)
    async with core.storage.db.write() as conn:
        await conn.execute(
            update(council_seats)
            .where(council_seats.c.id == 2)
            .values(ended_at=clock.now(), end_reason="recalled")
        )
    report = await verify(core.storage)
    assert report.problems == ["council seat 2: how it ended differs from the audit log"]


async def test_a_veto_recorded_against_its_votes_is_named(core: Core, clock: ManualClock) -> None:
    await elect(core, clock)
    await ok(core, "admin", "/propose Spend | yes | no profile=treasury", admin=True)
    await vote_all(core, 2, {"v1": "yes", "v2": "yes", "v3": "yes"})
    await ok(core, "admin", "/close 2", admin=True)
    await vote_all(core, 3, {"ann": "for"})  # 1 of the 2 votes a veto needs
    posted = await later(core, clock, 48 * HOUR)
    assert "is final" in posted
    assert (await verify(core.storage)).ok
    async with core.storage.db.write() as conn:
        await conn.execute(update(council_motions).values(status="carried"))
    report = await verify(core.storage)
    assert report.problems == ["council motion 1: its status differs from the audit log"]
    async with core.storage.db.write() as conn:
        await conn.execute(update(council_motions).values(status="failed"))
        forged = {
            "council": 1,
            "motion": 1,
            "proposal": 2,
            "veto_proposal": 3,
            "vetoed": True,
            "votes_for": 2.0,
            "needed": 2.0,
        }
        await core.storage.audit.append(
            conn, [NewEntry("council.veto_decided", "council:1", forged, 1, clock.now())]
        )
    report = await verify(core.storage)
    assert len(report.problems) == 1
    assert report.problems[0] == (
        "veto 1 of proposal 2: logged as vetoed, but only 1 of the 2 votes needed were cast for it"
    )
