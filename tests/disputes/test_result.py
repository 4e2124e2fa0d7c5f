"""A result dispute: the jury upholds it, the result card says "annulled by dispute d1"
and a re-vote opens with the same choices; and an appeal, whose new jury of 2K+1 (none of
the first) has the final word."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.core.types import CardKey
from handlers.disputes.policy import DisputePolicy
from tests.conftest import run_command, texts
from tests.disputes.helpers import HOUR, MEMBERS, community, jurors, later, ok, vote

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def closed_proposal(core: Core, clock: ManualClock) -> None:
    await ok(core, "ann", "/propose Budget | yes | no hours=24")
    await ok(core, "ann", "/vote 1 yes")
    await ok(core, "bob", "/vote 1 no")
    await ok(core, "cyd", "/vote 1 yes")
    await later(core, clock, 24 * HOUR + 1)


async def test_an_upheld_result_dispute_annuls_it_and_opens_a_revote(
    core: Core, clock: ManualClock
) -> None:
    core.deps.disputes = DisputePolicy(jury_size=3, appeal_hours=0)
    await community(core)
    await closed_proposal(core, clock)
    await ok(core, "dee", "/dispute #1 the snapshot missed the new members")
    drawn = await jurors(core, 1)
    assert not {"ann", "bob", "cyd", "dee"} & set(drawn)  # author, voters, disputer
    for name in drawn:
        await vote(core, name, 1, "uphold")
    final = await later(core, clock, 48 * HOUR)
    assert "the result is annulled by dispute d1. Re-vote: #2 (same choices)" in final
    revote = await core.storage.proposals.get(1, 2)
    first = await core.storage.proposals.get(1, 1)
    assert revote is not None and first is not None
    assert (revote.choices, revote.method, revote.status) == (first.choices, first.method, "open")
    card = await core.dispatcher.render_card(CardKey("proposal", 1, first.id))
    assert card is not None and "annulled by dispute d1" in card.text
    again = await run_command(core, "eve", "/dispute #1 once more")
    assert "already overturned by dispute d1" in texts(again)
    report = await verify(core.storage)
    assert report.ok and report.draws_checked == 1, report.problems


async def test_an_appeal_draws_a_new_larger_jury_whose_ruling_is_final(
    core: Core, clock: ManualClock
) -> None:
    core.deps.disputes = DisputePolicy(jury_size=1, appeal_hours=24)
    await community(core)
    await closed_proposal(core, clock)
    await ok(core, "dee", "/dispute #1 the snapshot missed the new members")
    [first] = await jurors(core, 1)
    await vote(core, first, 1, "reject")
    ruled = await later(core, clock, 48 * HOUR)
    assert "ruled rejected (0 uphold, 1 reject)" in ruled
    appealed = texts(await ok(core, "dee", "/appeal d1 the juror did not read the case"))
    assert "a new jury of 3, none of the first" in appealed
    second = await jurors(core, 1, 2)
    assert len(second) == 3 and first not in second
    assert not {"ann", "bob", "cyd", "dee"} & set(second)
    for name in second:
        await vote(core, name, 1, "uphold")
    final = await later(core, clock, 48 * HOUR)
    assert "is final (3 uphold, 0 reject)" in final and "annulled by dispute d1" in final
    assert "final, after appeal" in texts(await run_command(core, "x", "/dispute d1"))
    refusal = texts(await run_command(core, "dee", "/appeal d1 again"))
    assert "already appealed" in refusal
    report = await verify(core.storage)
    assert report.ok and report.draws_checked == 2, report.problems
    assert len(MEMBERS) >= 1 + 3 + 4
