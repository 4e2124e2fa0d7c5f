"""Bad input is refused with the reason and the usage, and writes nothing."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.disputes.policy import DisputePolicy
from tests.disputes.helpers import HOUR, community, jurors, later, ok, refused, vote

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_refusals_write_nothing(core: Core, clock: ManualClock) -> None:
    core.deps.disputes = DisputePolicy(jury_size=3, appeal_hours=12)
    await community(core)
    await ok(core, "ann", "/propose Budget | yes | no hours=24")
    await refused(core, "bob", "/dispute #1 too early", "has no result yet")
    await refused(core, "bob", "/dispute #7 no such", "no proposal #7")
    await refused(core, "bob", "/dispute #1", "Missing <reason>")
    await refused(core, "bob", "/dispute budget it is wrong", "is not a target")
    await refused(core, "bob", "/dispute credit:999 no such", "no credit 999")
    await refused(core, "bob", "/dispute battle:4 no such", "no battle 4")
    await refused(core, "bob", "/dispute d9", "no dispute d9")
    await refused(core, "bob", "/dispute epoch:9 no such", "no reward epoch 9")
    await ok(core, "ann", "/propose Other | yes | no hours=24")
    await ok(core, "ann", "/cancel 2")
    await refused(core, "bob", "/dispute #2 it was cancelled", "was cancelled")
    await later(core, clock, 24 * HOUR + 1)
    await ok(core, "bob", "/dispute #1 the tally is wrong")
    await refused(core, "cyd", "/dispute #1 me too", "already disputed (d1")
    await refused(core, "bob", "/appeal d1 not yet", "not ruled yet")
    await refused(core, "zed", "/appeal d1 not mine", "Only a party")
    for name in await jurors(core, 1):
        await vote(core, name, 1, "reject")
    await later(core, clock, 48 * HOUR)
    await later(core, clock, 12 * HOUR)  # the appeal window passes: final
    await refused(core, "bob", "/appeal d1 too late", "appeal window of dispute d1 closed")
    await later(core, clock, 72 * HOUR)
    await refused(core, "bob", "/dispute #1 late", "challenge window for #1 closed")
    praised = await ok(core, "ann", "/praise gus thanks")
    credit = praised[0].meta["contribution"]
    core.deps.disputes = DisputePolicy(jury_size=25)
    await refused(core, "bob", f"/dispute credit:{credit} too few", "Not enough members")
    core.deps.disputes = DisputePolicy(jury_size=3, bond=50)
    await refused(core, "bob", f"/dispute credit:{credit} no stake", "stakes a bond of 50")
