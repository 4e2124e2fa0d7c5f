"""Shared by the roles tests: link a wallet through /link and /verify on any platform."""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_defunct

from bot.app import Core
from handlers.core.types import Actor, Command, Event, Reply, Where


async def link(core: Core, actor: Actor, where: Where, account: Any) -> list[Reply]:
    """/link then /verify with the signature, as the member would type them."""
    issued = await core.dispatch(Event(actor, where, Command("link", account.address)))
    record = await core.storage.nonces.nonce(issued[0].meta["nonce"])
    assert record is not None, issued[0].text
    signature = account.sign_message(encode_defunct(text=record.message)).signature.hex()
    return await core.dispatch(Event(actor, where, Command("verify", "0x" + signature)))


async def run(core: Core, actor: Actor, where: Where, line: str) -> list[Reply]:
    name, _, rest = line.lstrip("/").partition(" ")
    return await core.dispatch(Event(actor, where, Command(name, rest)))


def recheck_job(core: Core) -> Any:
    [job] = [j for j in core.jobs() if j.name == "re-check roles that follow rules"]
    return job
