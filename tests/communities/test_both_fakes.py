"""Discord and Telegram together: both fakes against ONE core running both adapters on
one database, as `govbot run` does with DISCORD_TOKEN and TELEGRAM_TOKEN set
(tests/harness/both_env.py).

Wallet links are made through the core's dispatch with each platform's real account ids
(the signing flow itself is covered in tests/wallets); proposals, votes and cards go
through the fakes and the real discord.py / python-telegram-bot clients.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account

from handlers.core.types import Actor, Where
from tests.communities.helpers import OLD, WALLETS, link_as
from tests.harness.both_env import BothEnv, both_env
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, GROUP
from tests.harness.waiting import TIMEOUT, until


def account(both: BothEnv, platform: str, who: str) -> tuple[Actor, Where]:
    """`who`'s real account on `platform`, in the community's place there."""
    if platform == "telegram":
        user = {"alice": ALICE, "bob": BOB}[who]
        where = Where("telegram", str(GROUP), str(GROUP))
        return Actor("telegram", str(user), who, account_created=OLD), where
    dc = both.discord.fake
    where = Where("discord", str(dc.guild_id), str(dc.channel_id))
    return Actor("discord", str(both.discord.user(who).id), who, account_created=OLD), where


async def link(both: BothEnv, platform: str, who: str, wallet: Any) -> None:
    done = await link_as(both.core, *account(both, platform, who), wallet)
    assert "error" not in done[0].meta, done[0].text


async def test_one_community_on_both_platforms(tmp_path: Path, tg_fake: FakeTelegramAPI) -> None:
    async with both_env(tmp_path, tg_fake, wallets=WALLETS) as both:
        core, tg, dc = both.core, both.telegram.fake, both.discord
        alice, bob = dc.user("alice"), dc.user("bob")
        # a proposal opened on Discord is carded on Telegram, with its vote buttons
        await dc.command("propose", alice, title="Adopt the charter", choices="yes | no")
        [card] = await tg.wait_for("sendMessage", chat_id=GROUP, timeout=TIMEOUT)
        assert "Adopt the charter" in card.params["text"]
        keys = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
        assert keys == ["yes", "no"]

        # each platform remembers its own copy (Telegram records it once sendMessage answered)
        async def platforms() -> set[str]:
            return {p for p, _, _ in await core.storage.cards.find("proposal", 1, 1)}

        async def both_cards() -> bool:
            return await platforms() == {"discord", "telegram"}

        await until(both_cards, "a card on each platform")
        assert await platforms() == {"discord", "telegram"}
        proposal = await core.storage.proposals.get(1, 1)
        assert proposal is not None

        # the same wallet voting on both platforms counts once: the later vote replaces
        wallet = Account.create()
        await link(both, "discord", "alice", wallet)
        await link(both, "telegram", "alice", wallet)
        await dc.command("vote", alice, id=1, ballot="yes")

        async def ballots() -> list[Any]:
            return await core.storage.ballots.for_proposal(proposal.id)

        async def one_yes() -> bool:
            return [b.selection for b in await ballots()] == [[0]]

        await until(one_yes, "the Discord ballot")
        tg.send_text(GROUP, ALICE, "/vote 1 no")

        async def one_no() -> bool:
            return [b.selection for b in await ballots()] == [[1]]

        await until(one_no, "the Telegram ballot to replace the Discord one")
        # the Telegram vote refreshed the Discord card too
        edits = await dc.fake.wait_for(
            "PATCH", rf"/channels/{dc.fake.channel_id}/messages/\d+", timeout=TIMEOUT
        )
        assert edits

        # bob is not linked: refused (one vote per person needs a wallet) …
        tg.send_text(GROUP, BOB, "/vote 1 yes")
        await tg.wait_for(
            "sendMessage", where=lambda c: "linked wallet" in str(c.params.get("text"))
        )
        assert len(await ballots()) == 1
        # … until an admin allows unlinked voting: then each of his accounts counts
        settings = {"voting": {"allow_unlinked": True}}
        await core.storage.communities.update_settings(1, settings, by=1, at=0.0)
        tg.send_text(GROUP, BOB, "/vote 1 yes")
        await dc.command("vote", bob, id=1, ballot="yes")

        async def three() -> bool:
            return len(await ballots()) == 3

        await until(three, "bob's two unlinked ballots")
