"""Jurors who recuse or never answer are replaced by the next in the draw order, up to a
limit; the ruling then stands on the votes cast; coherent jurors earn a credit; and a
battle dispute takes the battle's ratings off the leaderboard."""

from __future__ import annotations

import random

import pytest

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.disputes.policy import DisputePolicy
from tests.conftest import press, run_command, texts
from tests.disputes.helpers import HOUR, community, jurors, later, ok, vote

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_recusals_and_silence_are_replaced_up_to_the_limit(
    core: Core, clock: ManualClock
) -> None:
    core.deps.disputes = DisputePolicy(
        jury_size=3,
        appeal_hours=0,
        max_replacements=2,
        replacement_hours=12,
        juror_credit=0.5,
        bond=1.0,
    )
    await community(core)
    credit = (await ok(core, "ann", "/praise bob thanks"))[0].meta["contribution"]
    await ok(core, "cyd", f"/dispute credit:{credit} same person")
    dispute = await core.storage.disputes.get(1)
    assert dispute is not None
    first, second, third = (await core.storage.members.names(set(dispute.draw_order[:3]))).values()
    recused = await press(core, first, "dispute_vote", "1", "recuse")
    assert "You recused yourself" in texts(recused)
    [notice] = [r for r in recused if r.where is not None and r.where.is_private]
    fourth = (await core.storage.members.names({dispute.draw_order[3]}))[dispute.draw_order[3]]
    assert notice.where is not None and notice.where.channel_id == fourth
    await vote(core, second, 1, "uphold")
    await vote(core, fourth, 1, "reject")
    # third never answers: at the deadline the next in order is asked, with 12 h more
    extended = await later(core, clock, 48 * HOUR)
    assert "ruled" not in extended
    drawn = await jurors(core, 1)
    assert drawn[first] == "recused" and drawn[third] == "lapsed"
    fifth_id = dispute.draw_order[4]
    fifth = (await core.storage.members.names({fifth_id}))[fifth_id]
    assert drawn[fifth] == "asked"
    shown = texts(await run_command(core, "x", "/dispute d1"))
    assert "a replacement juror was drawn" in shown and "did not answer in time" in shown
    # fifth is silent too: the limit (2) is reached, so the votes cast decide: 1–1 rejects
    final = await later(core, clock, 12 * HOUR)
    assert "is final (1 uphold, 1 reject): Rejected" in final
    assert "The bond of 1 reputation is forfeited" in final
    staker = await run_command(core, "cyd", "/rep")
    assert staker[0].meta["parts"]["bond"] < 0
    juror_credits = await core.storage.contributions.count(counted=True)
    assert juror_credits == 10 + 1 + 1 + 1  # grants, the praise, the bond, one coherent juror
    report = await verify(core.storage)
    assert report.ok and report.draws_checked == 1, report.problems


async def test_an_upheld_battle_dispute_takes_it_off_the_leaderboard(
    core: Core, clock: ManualClock
) -> None:
    core.deps.disputes = DisputePolicy(jury_size=3, appeal_hours=0)
    core.deps.arena.rng = random.Random(7)
    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 2})
    await community(core)
    card = await ok(core, "ann", "/arena Which is the better haiku?")
    battle = card[0].buttons[0].args[0]
    await press(core, "bob", "arena", battle, "a")
    await press(core, "cyd", "arena", battle, "a")
    assert await core.storage.arena.rated(1)
    await ok(core, "dee", f"/dispute battle:{battle} output A names its model")
    drawn = await jurors(core, 1)
    assert not {"ann", "bob", "cyd", "dee"} & set(drawn)
    for name in drawn:
        await vote(core, name, 1, "uphold")
    final = await later(core, clock, 48 * HOUR)
    assert "the battle's ratings are off the leaderboard" in final
    assert await core.storage.arena.rated(1) == []
    assert "No revealed arena battles" in texts(await run_command(core, "x", "/leaderboard"))
    report = await verify(core.storage)
    assert report.ok, report.problems
