"""A member hears of a Discord role change by DM whatever moved it: here the reputation
hook (a recompute, no command in sight) grants, and a wallet linked through the signing
page's handler — whose listener replies nobody routes — takes it away. One DM each."""

from __future__ import annotations

from pathlib import Path

from eth_account.messages import encode_defunct

from handlers.core.types import Actor, Where
from handlers.wallets.page import verify_from_page
from tests.harness.discord_env import discord_env, discord_text
from tests.harness.waiting import TIMEOUT
from tests.reach.roles_helpers import run
from tests.wallets.chain import new_account


async def test_discord_role_changes_are_told_by_dm(tmp_path: Path) -> None:
    from tests.harness.fakes.discord_gateway import FakeDiscord

    async with FakeDiscord(guild_name="Guild of Tests") as fake:
        rule = "reputation < 1 and not linked"
        roles = [{"name": "fresh", "rule": rule, "discord_role_id": fake.holder_role_id}]
        async with discord_env(tmp_path, fake, roles=roles) as dc:
            alice = dc.user("alice")
            await dc.ask("roles", alice)  # alice is a member now; nothing moved yet
            core = dc.core
            community = await core.storage.communities.find_space("discord", str(fake.guild_id))
            assert community is not None
            service = core.deps.reputation.service
            assert service is not None
            record = await core.storage.communities.get(community)
            await service.recompute(community, service.policy_for(record))  # the hook fires

            def dm_to_alice(call: object) -> bool:
                return getattr(call, "json", {}).get("recipient_id") in (alice.id, str(alice.id))

            await fake.wait_for("PUT", rf"/guilds/{fake.guild_id}/members/{alice.id}/roles/\d+")
            await fake.wait_for("POST", "/users/@me/channels", where=dm_to_alice)
            dm = rf"/channels/(?!{fake.channel_id})\d+/messages"
            [granted] = await fake.wait_for("POST", dm, timeout=TIMEOUT)
            text = discord_text(granted)
            assert "You now hold the role" in text and "fresh" in text
            assert "on Guild of Tests" in text and "(reputation recomputed: " in text
            assert "reputation: 0, needs < 1 ✓" in text and "wallet linked: no" in text

            where = Where("discord", str(fake.guild_id), str(fake.channel_id))
            actor = Actor("discord", str(alice.id), "alice")
            account = new_account()
            issued = await run(core, actor, where, f"/link {account.address}")
            nonce = await core.storage.nonces.nonce(issued[0].meta["nonce"])
            assert nonce is not None
            signature = account.sign_message(encode_defunct(text=nonce.message)).signature.hex()
            await verify_from_page(
                core.deps, nonce.nonce, "0x" + signature, now=core.deps.clock.now()
            )
            await fake.wait_for("DELETE", rf"/guilds/{fake.guild_id}/members/{alice.id}/roles/\d+")
            sent = await fake.wait_for("POST", dm, count=2, timeout=TIMEOUT)
            text = discord_text(sent[-1])
            assert "You no longer hold the role" in text and "on Guild of Tests" in text
            assert "(wallet linked: " in text and "wallet linked: yes" in text
            assert len(fake.find("POST", dm)) == 2  # one notice per change, no more
            assert fake.granted[alice.id] == set()
            assert [s.state for s in await core.storage.roles.every()] == ["revoked"]
