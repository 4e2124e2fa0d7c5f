"""Wallet verifications per second through the handler, and chain weight reads per second.

Verification: 2,000 members each get a /link message, sign it with their own key, and
send /verify concurrently: the full path (dispatcher, signature parsing, EIP-191
recovery with coincurve, nonce/expiry checks, the group-committed link with its audit
entry, on SQLite with synchronous=FULL). Weight reads: 1,000 voters' ERC-20 balances
at one block from an in-process py-evm chain through `Web3Chain` (the class production
uses over AsyncHTTPProvider), cache cold and then warm.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct

from bench.common import Row
from bot.app import build_core
from bot.settings import load_settings
from handlers.core.types import Actor, Command, Event, Where

MEMBERS = 2000
VOTERS = 1000


async def _verifications() -> float:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite:///{folder}/bench.db", charts_dir=Path(folder) / "charts"
        )
        core = await build_core(settings)
        where = Where("console", "console", "main")
        try:
            events = []
            for i in range(MEMBERS):
                account = Account.create()
                actor = Actor("console", f"m{i}", f"m{i}")
                replies = await core.dispatch(Event(actor, where, Command("link", account.address)))
                record = await core.storage.nonces.nonce(replies[0].meta["nonce"])
                assert record is not None
                signature = account.sign_message(encode_defunct(text=record.message)).signature
                events.append(Event(actor, where, Command("verify", "0x" + signature.hex())))

            async def verify(event: Event) -> None:
                replies = await core.dispatch(event)
                if not replies[0].text.startswith("Linked"):
                    raise RuntimeError(replies[0].text)

            started = time.perf_counter()
            await asyncio.gather(*(verify(e) for e in events))
            elapsed = time.perf_counter() - started
        finally:
            await core.close()
    return MEMBERS / elapsed


async def _weight_reads() -> tuple[float, float]:
    from tests.wallets.chain import LocalChain  # eth-tester: a dev dependency

    chain = LocalChain()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    holders = [Account.create().address for _ in range(VOTERS)]
    for n, holder in enumerate(holders):
        chain.transact(token.functions.mint(holder, (n + 1) * 10**18))
    block = chain.block
    port = chain.port()

    async def read_all() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(port.erc20_balance(token.address, h, block) for h in holders))
        return VOTERS / (time.perf_counter() - started)

    cold = await read_all()
    warm = await read_all()
    return cold, warm


def run() -> list[Row]:
    rate = asyncio.run(_verifications())
    cold, warm = asyncio.run(_weight_reads())
    return [
        Row("wallet verifications/s via /verify, SQLite", rate, "verif/s", "≥ 5,000/s", ""),
        Row("weight reads/s, 1,000 voters, cache cold", cold, "reads/s", "", "in-process py-evm"),
        Row(
            "weight reads/s, 1,000 voters, cache warm",
            warm,
            "reads/s",
            "",
            "per (contract, address, block)",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row.cells())
