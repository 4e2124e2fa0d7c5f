"""Roles that follow rules on the platform fakes, through the real clients: Discord role
add/remove calls (and a role above the bot reported, never attempted), Telegram join
requests approved or declined with a DM, and a member who stops qualifying removed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from handlers.core.types import Actor, Where
from tests.harness.discord_env import discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, telegram_env
from tests.harness.waiting import TIMEOUT
from tests.reach.roles_helpers import link, recheck_job, run
from tests.wallets.chain import new_account

GATED = -1009


async def test_discord_roles_follow_the_rule_and_the_hierarchy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.harness.fakes.discord_gateway import FakeDiscord

    async with FakeDiscord() as fake:
        roles = [
            {"name": "newcomers", "rule": "not linked", "discord_role_id": fake.holder_role_id},
            {"name": "high", "rule": "not linked", "discord_role_id": fake.high_role_id},
        ]
        async with discord_env(tmp_path, fake, roles=roles) as dc:
            alice = dc.user("alice")
            _, answer = await dc.ask("roles", alice)
            assert "newcomers" in discord_text(answer) and "you meet it" in discord_text(answer)
            caplog.set_level(logging.WARNING, logger="handlers.reach.roles.sync")
            for _ in range(2):  # the second re-check has nothing to do
                await dc.core.run_job(recheck_job(dc.core))
            path = rf"/guilds/{fake.guild_id}/members/{alice.id}/roles/\d+"
            [put] = await fake.wait_for("PUT", path, timeout=TIMEOUT)
            assert put.path.endswith(f"/roles/{fake.holder_role_id}")  # High never attempted
            assert fake.granted[alice.id] == {fake.holder_role_id}
            warned = [r for r in caplog.records if "high cannot be managed" in r.getMessage()]
            assert len(warned) == 1  # reported once, not on every check
            _, answer = await dc.ask("roles", alice)
            assert "not managed right now" in discord_text(answer)
            assert "above the bot's highest role" in discord_text(answer)

            where = Where("discord", str(fake.guild_id), str(fake.channel_id))
            actor = Actor("discord", str(alice.id), "alice")
            await link(dc.core, actor, where, new_account())  # no longer a newcomer
            await fake.wait_for("DELETE", path, timeout=TIMEOUT)
            assert fake.granted[alice.id] == set()
            states = {s.role: s.state for s in await dc.core.storage.roles.every()}
            assert states == {"newcomers": "revoked"}


async def test_discord_without_manage_roles_is_reported_not_a_crash(tmp_path: Path) -> None:
    from tests.harness.fakes.discord_gateway import FakeDiscord

    async with FakeDiscord() as fake:
        fake.bot_manage_roles = False
        roles = [
            {"name": "newcomers", "rule": "not linked", "discord_role_id": fake.holder_role_id}
        ]
        async with discord_env(tmp_path, fake, roles=roles) as dc:
            alice = dc.user("alice")
            await dc.ask("roles", alice)
            await dc.core.run_job(recheck_job(dc.core))
            _, answer = await dc.ask("roles", alice)
            assert "lacks the permission it needs (Manage Roles" in discord_text(answer)
            assert not [c for c in fake.calls if "/roles/" in c.path and c.method == "PUT"]
            assert await dc.core.storage.roles.count() == 0


async def test_telegram_gated_group_by_join_requests(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    tg_fake.add_chat(GATED, "supergroup", "Holders")
    roles = [{"name": "holders", "rule": "linked", "telegram_chat_id": GATED}]
    async with telegram_env(
        tmp_path,
        tg_fake,
        telegram={"home_chat_id": str(GATED)},
        roles=roles,
        role_checks={"telegram_unqualified": "remove"},
    ) as tg:
        await tg_fake.wait_for("getUpdates", timeout=TIMEOUT)  # asked for chat_join_request
        tg_fake.join_request(GATED, ALICE)
        [declined] = await tg_fake.wait_for("declineChatJoinRequest", timeout=TIMEOUT)
        assert declined.params == {"chat_id": GATED, "user_id": ALICE}
        [dm] = await tg.wait_sent(1)
        assert dm.params["chat_id"] == ALICE and "/link" in dm.params["text"]
        assert "wallet linked: no" in dm.params["text"]

        actor = Actor("telegram", str(ALICE), "Alice")
        private = Where("telegram", str(ALICE), str(ALICE), is_private=True)
        await link(tg.core, actor, private, new_account())
        tg_fake.join_request(GATED, ALICE)
        await tg_fake.wait_for("approveChatJoinRequest", timeout=TIMEOUT)
        assert tg_fake.members[(GATED, ALICE)] == "member"

        # Unlinking moves the role at once; the DM goes where the reply names.
        replies = await run(tg.core, actor, private, "/unlink")
        await tg.core.route([r for r in replies if r.where is not None])
        await tg_fake.wait_for("unbanChatMember", timeout=TIMEOUT)
        assert await tg.core.run_job(recheck_job(tg.core)) is None  # nothing left to do
        assert [c.method for c in tg_fake.calls if "ChatMember" in c.method] == [
            "banChatMember",
            "unbanChatMember",
        ]
        assert tg_fake.members[(GATED, ALICE)] == "left"  # out, and free to ask again
        sent = await tg.wait_sent(3)
        assert sent[-1].params["chat_id"] == ALICE
        assert "You were removed from the group" in sent[-1].params["text"]
        states = [(s.state, s.reason.split(":")[0]) for s in await tg.core.storage.roles.every()]
        assert states == [("removed", "wallet unlinked")]
