"""Neutral-event helpers for one community on Discord and Telegram (no fakes needed)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from eth_account.messages import encode_defunct

from bot.app import Core
from handlers.core.types import Actor, Command, Event, MessageRef, Reaction, Reply, Where

GUILD, CHANNEL, CHAT = "9001", "9002", "-1009003"
MAPPING = {
    "name": "Builders",
    "discord_guild_id": GUILD,
    "discord_channel_id": CHANNEL,
    "telegram_chat_id": CHAT,
}
WALLETS = {"domain": "govbot.test", "uri": "https://govbot.test/link", "chain_id": 1337}
PLACES = {"discord": Where("discord", GUILD, CHANNEL), "telegram": Where("telegram", CHAT, CHAT)}
OLD = datetime(2020, 1, 1, tzinfo=UTC)
_messages = itertools.count(5000)


def person(platform: str, name: str, *, admin: bool = False) -> Actor:
    """The account `name` on `platform` (user ids differ per platform, as they do for real)."""
    return Actor(platform, f"{platform[0]}-{name}", name, is_admin=admin, account_created=OLD)


async def say(
    core: Core, platform: str, name: str, line: str, *, admin: bool = False
) -> list[Reply]:
    return await send_as(core, person(platform, name, admin=admin), PLACES[platform], line)


async def send_as(core: Core, who: Actor, where: Where, line: str) -> list[Reply]:
    """`/name args` from `who` in `where`, through the core's dispatch."""
    command, _, rest = line.lstrip("/").partition(" ")
    return await core.dispatch(Event(who, where, Command(command, rest)))


async def react(core: Core, platform: str, giver: str, author: str) -> list[Reply]:
    """`giver` reacts 👍 to a new message of `author`, both on `platform`."""
    where = PLACES[platform]
    ref = MessageRef(platform, where.channel_id, str(next(_messages)))
    reaction = Reaction(ref, person(platform, author), "👍", True)
    return await core.dispatch(Event(person(platform, giver), where, reaction))


async def link(core: Core, platform: str, name: str, account: Any) -> list[Reply]:
    """/link then /verify with a real signature, as `name` on `platform`."""
    return await link_as(core, person(platform, name), PLACES[platform], account)


async def link_as(core: Core, who: Actor, where: Where, account: Any) -> list[Reply]:
    """/link then /verify with a real signature, as `who` in `where`; the /verify replies."""
    replies = await send_as(core, who, where, f"/link {account.address}")
    nonce = replies[0].meta.get("nonce")
    assert nonce, replies[0].text
    record = await core.storage.nonces.nonce(nonce)
    assert record is not None
    signature = account.sign_message(encode_defunct(text=record.message)).signature.hex()
    return await send_as(core, who, where, f"/verify 0x{signature.removeprefix('0x')}")


async def member_id(core: Core, platform: str, name: str) -> int:
    found = await core.storage.members.find(1, platform, f"{platform[0]}-{name}")
    assert found is not None
    return found.id
