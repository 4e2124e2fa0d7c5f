"""Wallet links and delegations are reloaded ahead of expiry, so votes never wait for it.

A burst's voters are all loaded into the cache within moments of each other, so their
entries used to expire together, and every vote then waited for one reload (the vote
benchmark's p99). Now an entry past half its lifetime is still served and reloaded in
the background, with the other entries due, in one query; a local write in between
keeps its own view.
"""

from __future__ import annotations

import asyncio

from bot.app import Core
from storage.cache import AheadCache


async def test_busy_entries_are_reloaded_before_they_expire_in_one_call() -> None:
    clock = [1000.0]
    loads: list[list[int]] = []
    world = {key: f"v{key}" for key in range(5)}

    async def load(keys: list[int]) -> list[str]:
        loads.append(sorted(keys))
        return [world[k] for k in keys]

    cache: AheadCache[int, str] = AheadCache(load, ttl=2.0, gather=0.05, clock=lambda: clock[0])
    assert await asyncio.gather(*(cache.get(k) for k in world)) == list(world.values())
    assert loads == [[0, 1, 2, 3, 4]], "concurrent misses share one load"

    clock[0] += 1.1  # past the reload point, not expired
    world[3] = "changed elsewhere"
    assert [await cache.get(k) for k in world][3] == "v3"  # served at once, no wait
    assert len(loads) == 1
    await asyncio.sleep(0.2)
    assert loads[1] == [0, 1, 2, 3, 4] and cache.reloads == 1
    clock[0] += 1.5  # would have expired without the reload
    assert await cache.get(3) == "changed elsewhere" and len(loads) == 2
    await cache.close()


async def test_a_local_write_during_a_reload_keeps_its_view() -> None:
    clock = [0.0]
    release = asyncio.Event()
    world = {1: "old"}

    async def load(keys: list[int]) -> list[str]:
        values = [world[k] for k in keys]
        await release.wait()
        return values

    cache: AheadCache[int, str] = AheadCache(load, ttl=2.0, gather=0.0, clock=lambda: clock[0])
    release.set()
    await cache.get(1)
    release.clear()
    clock[0] = 1.5
    await cache.get(1)  # starts a reload that reads "old"
    await asyncio.sleep(0.05)
    world[1] = "new"
    cache.forget(1)  # the local write
    release.set()
    await asyncio.sleep(0.05)
    assert await cache.get(1) == "new", "a reload begun before the write put back old data"
    await cache.close()


async def test_votes_read_links_and_delegations_through_the_cache(core: Core) -> None:
    community = await core.storage.communities.ensure("c", "C")
    member = await core.storage.members.ensure(community.id, "x", "1", "one")
    assert await core.storage.wallets.active(member.id) is None
    assert await core.storage.delegations.all_delegations(community.id) == []
    await core.storage.delegations.delegate(
        community.id, member.id, delegate_id=None, delegate_address="0xabc", at=1.0
    )
    [delegation] = await core.storage.delegations.all_delegations(community.id)
    assert delegation.delegate_address == "0xabc", "the local write is seen at once"
