"""The wallet-link cache is reloaded ahead of its expiry, so votes never wait for it.

A burst's voters are all loaded into the cache within moments of each other, so their
entries used to expire together, and every vote then waited for one reload (the vote
benchmark's p99). Now an entry past half its lifetime is still served and reloaded in
the background, with the other entries due, in one query.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

import storage.repos.wallets as wallets_module
from bot.app import Core


async def test_a_busy_members_link_is_reloaded_before_it_expires(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(
        wallets_module, "time", SimpleNamespace(monotonic=lambda: clock[0], time=time.time)
    )
    community = await core.storage.communities.ensure("c", "C")
    voters = [await core.storage.members.ensure(community.id, "x", str(i), "v") for i in range(5)]
    repo = core.storage.wallets
    loads: list[list[int]] = []
    real = repo._load_active

    async def counted(ids: list[int]) -> list[object]:
        loads.append(list(ids))
        return await real(ids)

    monkeypatch.setattr(repo, "_load_active", counted)  # the background reloads
    waited = repo._active_loader  # the loads a vote waits for
    for voter in voters:
        assert await repo.active(voter.id) is None
    assert waited.batches == 5  # first sight: loaded in the open

    clock[0] += 0.5 * wallets_module.ACTIVE_CACHE_SECONDS + 0.1  # past the refresh point
    for voter in voters:
        assert await repo.active(voter.id) is None  # served from the cache, no wait
    assert waited.batches == 5 and loads == []
    await asyncio.sleep(wallets_module.REFRESH_GATHER_SECONDS + 0.3)
    assert loads == [sorted(v.id for v in voters)], "one query reloads every entry due"

    clock[0] += 0.8 * wallets_module.ACTIVE_CACHE_SECONDS  # expired, had it not been reloaded
    for voter in voters:
        await repo.active(voter.id)
    assert waited.batches == 5, "a vote waited for a reload"
