"""Epochs through the dispatcher on SQLite and PostgreSQL: open, credit, project, close
once, hold and release, verify from the audit log, refuse bad input writing nothing."""

from __future__ import annotations

import asyncio
import math

from eth_account import Account
from sqlalchemy import update

from bot.app import Core
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.rewards.epochs import close_epoch, epoch_end
from handlers.rewards.feature import run_epochs
from handlers.rewards.merkle import verify as merkle_verify
from storage.schema_rewards import rewards_allocations
from tests.conftest import is_refusal, run_command, texts
from tests.rewards.helpers import link, member_id, rows, scores

UNIT = 10**18


async def _credit(core: Core, who: str, points: int, why: str = "good work") -> None:
    await run_command(core, who, "/wallet")  # the member is known from their first command
    replies = await run_command(core, "admin", f"/credit {who} {points} {why}", admin=True)
    assert not is_refusal(replies) and replies[0].meta["counted"], texts(replies)


async def test_an_epoch_from_opening_to_payout(rcore: Core, clock: ManualClock) -> None:
    core = rcore
    opened = await run_command(core, "admin", "/epoch", admin=True)
    assert "Epoch 1" in opened[0].text and "Budget: 1,000 RWD" in opened[0].text
    alice, bob = Account.create(), Account.create()
    await link(core, "alice", alice)
    await link(core, "bob", bob)
    await run_command(core, "carol", "/rep")  # carol is known, with no wallet
    await _credit(core, "alice", 30)
    await _credit(core, "bob", 20)
    await _credit(core, "carol", 10)
    shown = await run_command(core, "alice", "/epoch")
    text = shown[0].text
    assert "your reputation grew +" in text and "→" in text and shown[0].image
    projected = int(shown[0].meta["projected"])

    refused = await run_command(core, "bob", "/epoch close")
    assert is_refusal(refused) and "Only admins" in refused[0].text
    closed = await run_command(core, "admin", "/epoch close", admin=True)
    card = closed[0]
    assert "Epoch 1 closed" in card.text and card.image and card.meta["audit_hash"] in card.text
    epoch = await core.storage.rewards.get(1, 1)
    assert epoch is not None and epoch.status == "closed" and epoch.result_hash
    allocations = {r.recipient: r for r in await core.storage.rewards.allocations(epoch.id)}
    summary = epoch.summary or {}
    total = int(summary["total"])
    assert total == 1000 * UNIT
    assert sum(r.amount for r in allocations.values()) + int(summary["unallocated"]) == total

    # the contributors pool (60%) follows reputation growth between the two snapshots
    before = await scores(core, epoch.start_snapshot)
    after = await scores(core, epoch.close_snapshot)
    ids = {n: await member_id(core, n) for n in ("alice", "bob", "carol")}
    growth = {n: after[i] - before.get(i, 0.0) for n, i in ids.items()}
    pool = int(summary["pools"]["contributors"])
    assert pool == 600 * UNIT
    for name, i in ids.items():
        exact = pool * growth[name] / sum(growth.values())
        got = allocations[f"m:{i}"].parts["contributors"]
        assert math.floor(exact) - 1 <= got <= math.ceil(exact) + 1, (name, got, exact)
    assert allocations[f"m:{ids['alice']}"].amount == projected, "/epoch projected the close"
    assert allocations[f"m:{ids['alice']}"].status == "paid"
    assert allocations[f"m:{ids['alice']}"].address == alice.address
    assert allocations[f"m:{ids['carol']}"].status == "held"
    # nobody rated or owns a model: those pools carry into epoch 2
    assert int(summary["carry_out"]) == 400 * UNIT

    claim = await run_command(core, "alice", "/claim")
    assert claim[0].private
    meta = claim[0].meta
    assert meta["address"] == alice.address and int(meta["amount"]) == projected
    assert merkle_verify(summary["root"], alice.address, int(meta["amount"]), meta["proof"])
    held = await run_command(core, "carol", "/claim 1")
    assert "held for you" in held[0].text
    listed = await run_command(core, "bob", "/payouts 1")
    assert "held (no wallet yet)" in listed[0].text and "carol" in listed[0].text

    # epoch 2 opened when 1 closed; carol links, and her held share is paid with epoch 2
    second = await core.storage.rewards.current(1)
    assert (
        second is not None and second.number == 2 and second.start_snapshot == epoch.close_snapshot
    )
    assert second.ends_at == epoch_end("weekly", second.starts_at)
    carol = Account.create()
    await link(core, "carol", carol)
    await _credit(core, "bob", 5)
    clock.advance(second.ends_at - clock.now() + 1)  # past its end: the job closes it
    routed = await run_epochs(core.deps)
    assert any("Epoch 2 closed" in r.text for r in routed)
    assert all(r.where is not None and r.where.platform == "console" for r in routed)
    closed2 = await core.storage.rewards.get(1, 2)
    assert closed2 is not None and closed2.status == "closed"
    assert int((closed2.summary or {})["total"]) == 1400 * UNIT, "budget + carry-in"
    released = await core.storage.rewards.released_into(closed2.id)
    assert [(r.recipient, r.epoch_id) for r in released] == [(f"m:{ids['carol']}", epoch.id)]
    assert released[0].address == carol.address
    claim2 = await run_command(core, "carol", "/claim 2")
    assert int(claim2[0].meta["amount"]) == allocations[f"m:{ids['carol']}"].amount + sum(
        r.amount
        for r in await core.storage.rewards.allocations(closed2.id)
        if r.recipient == f"m:{ids['carol']}"
    )
    assert await run_epochs(core.deps) == [], "closed and announced once"

    report = await verify(core.storage)
    assert report.ok, report.problems
    assert report.epochs_checked == 2

    # an amount altered in the database is named by the verification
    async with core.storage.db.write() as conn:
        await conn.execute(
            update(rewards_allocations)
            .where(
                rewards_allocations.c.epoch_id == epoch.id,
                rewards_allocations.c.recipient == f"m:{ids['alice']}",
            )
            .values(amount=str(projected + 1))
        )
    broken = await verify(core.storage)
    assert not broken.ok and f"m:{ids['alice']}" in broken.problems[0]
    assert "reward epoch 1" in broken.problems[0]


async def test_a_logged_result_that_its_inputs_do_not_give_fails_verification(
    rcore: Core,
) -> None:
    core = rcore
    await run_command(core, "admin", "/epoch", admin=True)
    await _credit(core, "alice", 10)
    await run_command(core, "admin", "/epoch close", admin=True)
    from storage.repos.audit import NewEntry

    # replay the closing entry with one amount changed: the chain stays intact
    async for entry, _ in core.storage.audit.entries():
        if entry.kind == "rewards.epoch.closed":
            payload = entry.payload
    result = payload["result"]
    key = next(iter(result["allocations"]))
    result["allocations"][key]["amount"] = str(int(result["allocations"][key]["amount"]) - 1)
    async with core.storage.db.write() as conn:
        await core.storage.audit.append(
            conn, [NewEntry("rewards.epoch.closed", "epoch:1", payload, 1, 0.0)]
        )
    report = await verify(core.storage)
    assert not report.ok
    assert "the inputs give" in report.problems[0] and key in report.problems[0]


async def test_an_epoch_closes_exactly_once(rcore: Core) -> None:
    core = rcore
    await run_command(core, "admin", "/epoch", admin=True)
    await _credit(core, "alice", 10)
    epoch = await core.storage.rewards.current(1)
    assert epoch is not None
    done = await asyncio.gather(*(close_epoch(core.deps, epoch, by=None) for _ in range(3)))
    assert sum(d is not None for d in done) == 1
    kinds = [e.kind async for e, _ in core.storage.audit.entries()]
    assert kinds.count("rewards.epoch.closed") == 1
    assert kinds.count("rewards.epoch.opened") == 2, "epoch 1, and epoch 2 by the close"
    late = await run_command(core, "admin", "/epoch close", admin=True)
    assert "Epoch 2 closed" in late[0].text, "a later close closes the next epoch"


async def test_an_expired_hold_returns_to_the_pool(database_url, tmp_path, clock) -> None:
    from tests.harness.core import core_env
    from tests.rewards.conftest import REWARDS

    pools = {"contributors": "100", "raters": "0", "models": "0"}
    settings = REWARDS | {"hold_epochs": 1, "pools": pools}
    async with core_env(tmp_path, database_url=database_url, clock=clock, rewards=settings) as core:
        await run_command(core, "admin", "/epoch", admin=True)
        await _credit(core, "carol", 10)
        await run_command(core, "admin", "/epoch close", admin=True)
        first = await core.storage.rewards.get(1, 1)
        assert first is not None and (first.summary or {})["carry_out"] == "0"
        held = await core.storage.rewards.held(1)
        assert [h.epoch_number for h in held] == [1]
        await run_command(core, "admin", "/epoch close", admin=True)  # epoch 2: still no wallet
        second = await core.storage.rewards.get(1, 2)
        assert second is not None
        summary = second.summary or {}
        assert int(summary["returned"]) == held[0].amount
        assert int(summary["carry_out"]) >= held[0].amount
        assert await core.storage.rewards.held(1) == []
        rows_1 = await core.storage.rewards.allocations(first.id)
        assert rows_1[0].status == "returned" and rows_1[0].settled_in == second.id
        await run_command(core, "admin", "/epoch close", admin=True)
        third = await core.storage.rewards.get(1, 3)
        assert third is not None
        assert int((third.summary or {})["total"]) == 1000 * UNIT + int(summary["carry_out"])
        assert (await verify(core.storage)).ok


async def test_bad_input_is_refused_and_writes_nothing(rcore: Core) -> None:
    core = rcore
    await run_command(core, "admin", "/epoch", admin=True)
    await run_command(core, "alice", "/rep")
    await run_command(core, "bob", "/rep")
    before = await rows(core)
    cases = [
        ("admin", "/credit alice 51 too generous", True, "above the cap of 50"),
        ("admin", "/credit alice 0 nothing", True, "positive"),
        ("admin", "/credit alice nan odd", True, "positive"),
        ("admin", "/credit alice -3 negative", True, "positive"),
        ("admin", "/credit alice 5", True, "Missing <reason>"),
        ("admin", "/credit admin 5 myself", True, "yourself"),
        ("bob", "/credit alice 5 not an admin", False, "Only admins"),
        ("bob", "/praise bob myself", False, "yourself"),
        ("bob", "/praise nobody thanks", False, "No member called"),
        ("bob", "/praise alice", False, "Missing <reason>"),
        ("bob", "/epoch reopen", False, "Unknown action"),
        ("bob", "/epoch close", False, "Only admins"),
        ("bob", "/payouts 7", False, "no epoch 7"),
        ("bob", "/payouts 1", False, "still running"),
        ("bob", "/claim", False, "No epoch has closed"),
    ]
    for user, line, admin, expected in cases:
        replies = await run_command(core, user, line, admin=admin)
        assert is_refusal(replies), (line, texts(replies))
        assert expected in replies[0].text, (line, replies[0].text)
        assert await rows(core) == before, line


async def test_praise_and_grants_are_kinds_of_their_own_in_rep(rcore: Core) -> None:
    core = rcore
    await run_command(core, "alice", "/rep")
    praised = await run_command(core, "admin", "/praise alice fixed the build", admin=True)
    assert praised[0].meta["counted"], praised[0].text
    await _credit(core, "alice", 12, "ran the meetup")
    rep = await run_command(core, "alice", "/rep")
    assert set(rep[0].meta["parts"]) == {"praise", "grant"}
    assert "praise" in rep[0].text and "admin grants" in rep[0].text
    acks = await core.storage.rewards.acknowledgements(await member_id(core, "alice"))
    assert [(a["kind"], a["reason"], a["points"]) for a in acks] == [
        ("grant", "ran the meetup", 12.0),
        ("praise", "fixed the build", 1.0),
    ]
    kinds = [e.kind async for e, _ in core.storage.audit.entries()]
    assert kinds.count("rewards.praise") == 1 and kinds.count("rewards.grant") == 1
    # the daily cap of the ledger applies: more than 5 credits a day are logged, not counted
    for i in range(5):
        await run_command(core, "admin", f"/praise alice again {i}", admin=True)
    capped = await run_command(core, "admin", "/praise alice once more", admin=True)
    assert not capped[0].meta["counted"] and "today's limit" in capped[0].text
