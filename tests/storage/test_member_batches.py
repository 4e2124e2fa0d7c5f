"""A burst of members the bot has never seen costs a transaction or two, not one each.

200 new voters at once used to create their member rows one write transaction after
another (a disk sync each, behind one lock). Now the lookups share a read and the
creations share a write; the same member asked for twice in one burst is one row.
"""

from __future__ import annotations

import asyncio

from bot.app import Core


async def test_new_members_of_a_burst_are_created_together(core: Core) -> None:
    members = core.storage.members
    community = await core.storage.communities.ensure("burst", "Burst")
    names = [str(i) for i in range(60)]
    created = await asyncio.gather(
        *(members.ensure(community.id, "telegram", n, f"member {n}", now=1.0) for n in names),
        members.ensure(community.id, "telegram", "7", "member 7 again"),
    )
    assert [m.user_id for m in created[:60]] == names
    assert len({m.id for m in created[:60]}) == 60
    assert created[60].id == created[7].id and created[60].display_name == "member 7"
    assert created[7].first_seen == 1.0
    assert members._creator.batches <= 3, "each new member took a write transaction"
    members._cache.clear()  # a later process finds the same rows
    again = await asyncio.gather(*(members.ensure(community.id, "telegram", n, "x") for n in names))
    assert [m.id for m in again] == [m.id for m in created[:60]]
    assert await members.count(community.id) == 60
