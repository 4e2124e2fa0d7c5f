"""A council as the decider (`deciders = {credit = "council:<name>"}`): the dispute opens a
vote of its seated members; their majority rules, and the ruling applies itself."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.disputes.policy import DisputePolicy
from tests.conftest import is_refusal, run_command, texts
from tests.disputes.helpers import HOUR, community, later, ok, state

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CREATE = "/council create Stewards seats=2 term=30 method=stv nomination=24 voting=24"


async def test_a_council_upholds_a_credit_dispute(core: Core, clock: ManualClock) -> None:
    await community(core)
    await ok(core, "admin", CREATE, admin=True)
    await ok(core, "hal", "/stand Stewards")
    await ok(core, "ivy", "/stand Stewards")
    await later(core, clock, 24 * HOUR + 1)  # two stood for two seats: seated unopposed
    core.deps.disputes = DisputePolicy(
        deciders={"credit": "council:Stewards"}, appeal_hours=0, deadline_hours=24
    )
    credit = (await ok(core, "ann", "/praise bob thanks"))[0].meta["contribution"]
    opened = await ok(core, "cyd", f"/dispute credit:{credit} same person")
    assert "Decided by its council's vote" in texts(opened)
    vote = await core.storage.proposals.get(1, 1)
    assert vote is not None and vote.strategy == "council:Stewards"
    assert vote.choices == ("Uphold", "Reject")
    refused = texts(await run_command(core, "dee", "/vote 1 Uphold"))
    assert "Recorded" not in refused  # only seated members carry weight
    await ok(core, "hal", "/vote 1 Uphold")
    await ok(core, "ivy", "/vote 1 Uphold")
    final = await later(core, clock, 24 * HOUR)
    assert "1 credit voided by dispute d1" in final
    rep = texts(await run_command(core, "bob", "/rep"))
    assert "voided by dispute d1" in rep
    report = await verify(core.storage)
    assert report.ok, report.problems


async def test_a_party_on_the_council_cannot_decide(core: Core, clock: ManualClock) -> None:
    await community(core)
    await ok(core, "admin", CREATE, admin=True)
    await ok(core, "hal", "/stand Stewards")
    await ok(core, "bob", "/stand Stewards")
    await later(core, clock, 24 * HOUR + 1)
    core.deps.disputes = DisputePolicy(
        deciders={"credit": "council:Stewards"}, appeal_hours=0, deadline_hours=24
    )
    credit = (await ok(core, "ann", "/praise bob thanks"))[0].meta["contribution"]
    await ok(core, "cyd", f"/dispute credit:{credit} same person")
    vote = await core.storage.proposals.get(1, 1)
    assert vote is not None and vote.eligible_power == 1.0  # bob's seat does not count
    before = await state(core)
    refused = await run_command(core, "bob", "/vote 1 Reject")
    assert is_refusal(refused) and "party to dispute d1" in refused[0].text, texts(refused)
    assert await state(core) == before
    await ok(core, "hal", "/vote 1 Uphold")
    final = await later(core, clock, 24 * HOUR)
    assert "1 credit voided by dispute d1" in final
    report = await verify(core.storage)
    assert report.ok, report.problems
