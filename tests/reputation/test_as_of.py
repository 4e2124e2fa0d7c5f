"""The reputation "as of" a time over a chosen set of credits: as of now with nothing left
out it is the snapshot's score; as of the past, later credits and later retractions
do not count; leaving a credit out gives the score without it."""

from __future__ import annotations

import pytest

from bot.app import Core
from handlers.core.ports import ManualClock
from tests.conftest import is_refusal, run_command, texts

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _credit(core: Core, who: str, points: int) -> int:
    await run_command(core, who, "/rep")
    replies = await run_command(core, "admin", f"/credit {who} {points} work", admin=True)
    assert not is_refusal(replies), texts(replies)
    return int(replies[0].meta["contribution"])


async def test_scores_as_of(core: Core, clock: ManualClock) -> None:
    service = core.deps.reputation.service
    assert service is not None
    first = await _credit(core, "ann", 3)
    await _credit(core, "bob", 5)
    clock.advance(3600)
    then = clock.now()
    clock.advance(3600)
    await _credit(core, "ann", 7)
    await run_command(core, "bob", "/praise ann kind words")
    clock.advance(60)
    community = await core.storage.communities.get(1)
    policy = service.policy_for(community)
    info = await service.current(1, policy, force_fresh=True)
    assert info is not None
    rows = {r.member_id: r.score for r in await core.storage.reputation.top(info.id, 100)}
    now = await service.scores_as_of(1, policy, info.computed_at)
    assert now.keys() == rows.keys()
    assert all(now[m] == pytest.approx(rows[m], rel=1e-12) for m in rows)

    past = await service.scores_as_of(1, policy, then)
    ann = (await core.storage.members.find_by_name(1, "ann")).id  # type: ignore[union-attr]
    assert 0 < past[ann] < now[ann]  # ann's later credit and praise do not count then
    without = await service.scores_as_of(1, policy, then, without=frozenset({first}))
    assert without.get(ann, 0.0) == 0.0  # her only credit by then, left out
