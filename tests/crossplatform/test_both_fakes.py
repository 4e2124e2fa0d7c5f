"""Discord and Telegram together: both fakes against ONE core running both adapters on
one database, as `govbot run` does with DISCORD_TOKEN and TELEGRAM_TOKEN set.

Wallet links are made through the dispatcher with each platform's real account ids (the
signing flow itself is covered in tests/wallets); proposals, votes and cards go through
the fakes and the real discord.py / python-telegram-bot clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from telegram.ext import AIORateLimiter

from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.types import Actor, Command, Event, Where
from tests.crossplatform.helpers import OLD
from tests.fakes.discord_gateway import FakeDiscord, FakeUser
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123:ABC"
GROUP = -1001
ALICE_TG, BOB_TG = 11, 22
TIMEOUT = 10.0


@dataclass
class Both:
    core: Core
    tg: FakeTelegramAPI
    dc: FakeDiscord
    alice: FakeUser
    bob: FakeUser

    def actor(self, platform: str, who: str) -> tuple[Actor, Where]:
        if platform == "telegram":
            user = {"alice": ALICE_TG, "bob": BOB_TG}[who]
            where = Where("telegram", str(GROUP), str(GROUP))
            return Actor("telegram", str(user), who, account_created=OLD), where
        account = {"alice": self.alice, "bob": self.bob}[who]
        where = Where("discord", str(self.dc.guild_id), str(self.dc.channel_id))
        return Actor("discord", str(account.id), who, account_created=OLD), where

    async def dispatch(self, platform: str, who: str, line: str) -> Any:
        actor, where = self.actor(platform, who)
        name, _, rest = line.lstrip("/").partition(" ")
        return await self.core.dispatcher.handle(Event(actor, where, Command(name, rest)))

    async def link(self, platform: str, who: str, wallet: Any) -> None:
        replies = await self.dispatch(platform, who, f"/link {wallet.address}")
        record = await self.core.storage.wallets.nonce(replies[0].meta["nonce"])
        assert record is not None
        signed = wallet.sign_message(encode_defunct(text=record.message)).signature.hex()
        done = await self.dispatch(platform, who, f"/verify 0x{signed.removeprefix('0x')}")
        assert "error" not in done[0].meta, done[0].text

    async def slash(self, name: str, user: FakeUser, **options: Any) -> str:
        payload = self.dc.slash(name, user, options)
        await self.dc.send_interaction(payload)
        await self.dc.wait_callback(payload["id"], timeout=TIMEOUT)
        return str(payload["token"])


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[Both]:
    dc = await FakeDiscord().start()
    async with FakeTelegramAPI(token=TOKEN) as tg:
        tg.add_chat(GROUP, "supergroup", "Builders")
        tg.add_user(ALICE_TG, "Alice", "alice")
        tg.add_user(BOB_TG, "Bob", "bob")
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path}/both.db",
            charts_dir=tmp_path / "charts",
            telegram={"token": TOKEN, "api_base_url": tg.base_url},
            discord={
                "token": "x",
                "api_base_url": dc.api_base_url,
                "gateway_url": dc.gateway_url,
                "guild_ids": [dc.guild_id],
            },
            communities=[
                {
                    "name": "Builders",
                    "discord_guild_id": str(dc.guild_id),
                    "discord_channel_id": str(dc.channel_id),
                    "telegram_chat_id": str(GROUP),
                }
            ],
            wallets={"domain": "govbot.test", "uri": "https://govbot.test/link", "chain_id": 1337},
        )
        core = await build_core(settings)
        telegram = TelegramAdapter(
            core,
            edit_interval=0,
            rate_limiter=AIORateLimiter(overall_max_rate=1000, group_max_rate=1000),
            poll_timeout=2,
        )
        discord = DiscordAdapter(
            core, refresh_interval=0.02, client_options={"guild_ready_timeout": 0.05}
        )
        core.adapters.update(telegram=telegram, discord=discord)
        tasks = [asyncio.create_task(telegram.run()), asyncio.create_task(discord.run())]
        try:
            await asyncio.wait_for(asyncio.gather(telegram.ready(), discord.ready()), TIMEOUT)
            yield Both(core, tg, dc, dc.add_user("alice"), dc.add_user("bob"))
        finally:
            for adapter in (telegram, discord):
                await adapter.stop()
            await asyncio.wait(tasks, timeout=TIMEOUT)
            await core.close()
            await dc.stop()


async def test_one_community_on_both_platforms(both: Both) -> None:
    core = both.core
    # a proposal opened on Discord is carded on Telegram, with its vote buttons
    await both.slash("propose", both.alice, title="Adopt the charter", choices="yes | no")
    [card] = await both.tg.wait_for("sendMessage", chat_id=GROUP, timeout=TIMEOUT)
    assert "Adopt the charter" in card.params["text"]
    keys = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
    assert keys == ["yes", "no"]
    # each platform remembers its own copy (Telegram records it once sendMessage answered)
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        places = {p for p, _, _ in await core.storage.cards.find("proposal", 1, 1)}
        if places == {"discord", "telegram"} or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert places == {"discord", "telegram"}
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None

    # the same wallet voting on both platforms counts once: the later vote replaces
    wallet = Account.create()
    await both.link("discord", "alice", wallet)
    await both.link("telegram", "alice", wallet)
    await both.slash("vote", both.alice, id=1, ballot="yes")

    async def ballots() -> list[Any]:
        return await core.storage.ballots.for_proposal(proposal.id)

    async def one_yes() -> bool:
        return [b.selection for b in await ballots()] == [[0]]

    await until(one_yes, "the Discord ballot")
    both.tg.send_text(GROUP, ALICE_TG, "/vote 1 no")

    async def one_no() -> bool:
        return [b.selection for b in await ballots()] == [[1]]

    await until(one_no, "the Telegram ballot to replace the Discord one")
    # the Telegram vote refreshed the Discord card too
    edits = await both.dc.wait_for(
        "PATCH", rf"/channels/{both.dc.channel_id}/messages/\d+", timeout=TIMEOUT
    )
    assert edits

    # bob is not linked: refused (one vote per person needs a wallet) …
    both.tg.send_text(GROUP, BOB_TG, "/vote 1 yes")
    await both.tg.wait_for(
        "sendMessage", where=lambda c: "linked wallet" in str(c.params.get("text"))
    )
    assert len(await ballots()) == 1
    # … until an admin allows unlinked voting: then each of his accounts counts
    settings = {"voting": {"allow_unlinked": True}}
    await core.storage.communities.update_settings(1, settings, by=1, at=0.0)
    both.tg.send_text(GROUP, BOB_TG, "/vote 1 yes")
    await both.slash("vote", both.bob, id=1, ballot="yes")

    async def three() -> bool:
        return len(await ballots()) == 3

    await until(three, "bob's two unlinked ballots")
