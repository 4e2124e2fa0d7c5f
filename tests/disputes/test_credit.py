"""A credit dispute from opening to its ruling applying itself, on SQLite and PostgreSQL:
the jury is drawn outside the parties, told privately, votes hidden until the deadline,
the majority rules, the credit is voided, /rep says so and `audit verify` re-checks it."""

from __future__ import annotations

from sqlalchemy import update

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.disputes.policy import DisputePolicy
from storage.schema_contributions import contributions
from tests.conftest import run_command, texts
from tests.disputes.helpers import (
    HOUR,
    community,
    jurors,
    later,
    ok,
    press_refused,
    vote,
)


async def test_an_upheld_credit_dispute_voids_the_credit(core: Core, clock: ManualClock) -> None:
    core.deps.disputes = DisputePolicy(jury_size=3, bond=1.0)
    await community(core)
    praised = await ok(core, "ann", "/praise bob he fixed the build")
    credit = praised[0].meta["contribution"]
    before = await run_command(core, "bob", "/rep")
    assert f"credit:{credit} praise" in before[0].text

    opened = await ok(core, "cyd", f"/dispute credit:{credit} ann and bob are one person")
    posted = opened[0]
    assert posted.card is not None and posted.card.kind == "dispute"
    assert posted.thread_title and "Dispute d1" in posted.text
    notices = [r for r in opened if r.where is not None and r.where.is_private]
    drawn = await jurors(core, 1)
    assert len(drawn) == 3 and not {"ann", "bob", "cyd", "admin"} & set(drawn)
    assert sorted(r.where.channel_id for r in notices if r.where) == sorted(drawn)
    assert all([b.label for b in r.buttons] == ["Uphold", "Reject", "Recuse"] for r in notices)

    await press_refused(core, "bob", ("1", "uphold"), "party to dispute d1")
    outsider = next(n for n in ("dee", "eve", "fay", "gus", "hal", "ivy", "jon") if n not in drawn)
    await press_refused(core, outsider, ("1", "uphold"), "not on the jury")
    first, second, third = sorted(drawn)
    await vote(core, first, 1, "uphold")
    await vote(core, second, 1, "uphold")
    await press_refused(core, first, ("1", "reject"), "already answered")
    await vote(core, third, 1, "reject")
    shown = texts(await run_command(core, "zed", "/dispute d1"))
    assert "3 votes in" in shown and "uphold," not in shown  # hidden until the deadline

    ruled = await later(core, clock, 48 * HOUR)
    assert "Dispute d1 is ruled upheld (2 uphold, 1 reject)" in ruled
    assert "/appeal d1" in ruled
    final = await later(core, clock, 48 * HOUR)
    assert "1 credit voided by dispute d1" in final and "The bond of 1 is returned" in final
    staker = await run_command(core, "cyd", "/rep")
    assert "bond" not in staker[0].meta["parts"]

    after = await run_command(core, "bob", "/rep")
    assert "1 credit (2.0) voided by dispute d1" in after[0].text
    assert after[0].meta["score"] < before[0].meta["score"]
    assert "praise" not in after[0].meta["parts"]
    listed = texts(await run_command(core, "zed", "/disputes"))
    assert "d1 · credit:" in listed and "upheld" in listed
    coherent = await core.storage.contributions.count(counted=True)
    assert coherent == 10 + 1 + 1 + 2  # grants, the praise (voided), the bond, two jurors

    report = await verify(core.storage)
    assert report.ok, report.problems
    assert report.draws_checked == 1

    async with core.storage.db.write() as conn:  # someone restores the credit by hand
        await conn.execute(
            update(contributions).where(contributions.c.id == credit).values(retracted_at=None)
        )
    report = await verify(core.storage)
    assert not report.ok and "voided credits" in report.problems[0]
