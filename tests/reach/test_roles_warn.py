"""A gated Telegram group with `telegram_unqualified = "warn"` (the default): the periodic
re-check tells a member who no longer qualifies what they lack and how to qualify, once
per loss of qualification, and takes nobody out of the group."""

from __future__ import annotations

from pathlib import Path

from handlers.core.types import Actor, Where
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, telegram_env
from tests.harness.waiting import TIMEOUT
from tests.reach.roles_helpers import link, recheck_job
from tests.wallets.chain import LocalChain, new_account

GATED = -1009
UNIT = 10**18


async def test_telegram_warns_once_per_loss_and_removes_nobody(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    chain = LocalChain()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    account, other = new_account(), new_account()
    chain.transact(token.functions.mint(account.address, 150 * UNIT))
    tg_fake.add_chat(GATED, "supergroup", "Holders")
    roles = [
        {"name": "holders", "rule": f"erc20:{token.address} >= 100", "telegram_chat_id": GATED}
    ]
    async with telegram_env(
        tmp_path,
        tg_fake,
        telegram={"home_chat_id": str(GATED)},
        roles=roles,
        wallets={"confirmations": 0},
    ) as tg:
        tg.core.deps.wallets.chain = chain.port()
        actor = Actor("telegram", str(ALICE), "Alice")
        await link(
            tg.core, actor, Where("telegram", str(ALICE), str(ALICE), is_private=True), account
        )
        await tg_fake.wait_for("getUpdates", timeout=TIMEOUT)
        tg_fake.join_request(GATED, ALICE)
        await tg_fake.wait_for("approveChatJoinRequest", timeout=TIMEOUT)
        welcomed = len(await tg.wait_sent(1))

        async def recheck() -> list[str]:
            before = len(tg_fake.sent())
            await tg.core.run_job(recheck_job(tg.core))
            return [c.params["text"] for c in tg_fake.sent()[before:]]

        sender = chain.unlocked(account)
        spend = token.functions.transfer(other.address, 100 * UNIT)
        chain.transact(spend, sender=sender)  # 50 left: no longer qualifies
        [warning] = await recheck()
        assert "You no longer meet the rule of the group" in warning and "holders" in warning
        assert "50, needs ≥ 100 ✗" in warning  # what they lack
        assert "/link" in warning and "/roles" in warning  # how to qualify
        assert tg_fake.sent()[-1].params["chat_id"] == ALICE  # privately
        assert await recheck() == []  # the same loss is told once, not every re-check

        chain.transact(token.functions.mint(account.address, 100 * UNIT))  # qualifies again
        assert await recheck() == []
        chain.transact(token.functions.transfer(other.address, 100 * UNIT), sender=sender)
        [again] = await recheck()  # a new loss: told again
        assert "50, needs ≥ 100 ✗" in again
        assert len(tg_fake.sent()) == welcomed + 2

        assert not [c for c in tg_fake.calls if c.method in ("banChatMember", "unbanChatMember")]
        assert tg_fake.members[(GATED, ALICE)] == "member"
        states = [s.state for s in await tg.core.storage.roles.every()]
        assert states == ["warned"]
        kinds = [e.kind async for e, _ in tg.core.storage.audit.entries()]
        assert kinds.count("role.changed") == 4  # approved, warned, approved, warned
