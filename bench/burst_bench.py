"""Bursts of new voters: how long until every vote is stored and every voter answered.

Two platforms, each through its real client library against the local fake over
loopback, with the adapter built as `govbot run` builds it (production rate limits and
card-edit interval):

* Telegram: 200 members the bot has never seen each send `/vote 1 yes` in one group at
  the same moment. Measured from the burst's push: when the 200th ballot is in the
  database, and when the 200th private receipt reached the fake. Telegram's limits
  concern messages sent (20 a minute into one group, about 30 a second overall), so
  reads such as getChatMember must not wait behind the group's message budget.
* Discord: 200 `/vote` interactions arrive together; per interaction, the deferral
  (its first answer) and the final answer (the receipt that edits the deferred
  response), each from INTERACTION_CREATE sent.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Row
from bot.app import Core, build_core
from bot.settings import load_settings

VOTERS = 200
GROUP = -100_777
AUTHOR = 9
TELEGRAM_DEADLINE = 120.0  # give up waiting after this (the old path needs ~18 minutes)


def _quiet() -> None:
    for name in ("discord", "storage", "handlers", "bot", "telegram", "httpx", "aiohttp"):
        logging.getLogger(name).setLevel(logging.ERROR)


async def _until(check: Any, deadline: float, step: float = 0.01) -> bool:
    while not await check():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(step)
    return True


# ----- Telegram -------------------------------------------------------------------------
async def telegram_burst(voters: int = VOTERS) -> dict[str, float]:
    """Seconds until all votes are stored and all receipts sent (inf when not in time)."""
    from bot.adapters.telegram import TelegramAdapter
    from tests.harness.fakes.telegram_api import FakeTelegramAPI

    async with FakeTelegramAPI() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                database_url=f"sqlite:///{tmp}/bench.db",
                charts_dir=Path(tmp) / "charts",
                voting={"require_wallet": False},
                telegram={"token": fake.token, "api_base_url": fake.base_url},
            )
            core = await build_core(settings)
            adapter = TelegramAdapter(core)
            core.adapters["telegram"] = adapter
            runner = asyncio.create_task(adapter.run())
            try:
                if not await adapter.ready(30):
                    raise RuntimeError("the Telegram adapter did not start")
                fake.add_chat(GROUP)
                fake.send_text(GROUP, AUTHOR, "/propose Burst | yes | no")
                await fake.wait_for("sendMessage", chat_id=GROUP, timeout=30)
                proposal = await _proposal_id(core)
                users = [1_000 + i for i in range(voters)]
                started = time.perf_counter()
                for user in users:
                    fake.send_text(GROUP, user, "/vote 1 yes")

                async def stored() -> bool:
                    return await core.storage.ballots.count(proposal) >= voters

                async def answered() -> bool:
                    receipts = [
                        c
                        for c in fake.sent()
                        if c.params.get("chat_id") in set(users)
                        and "Vote recorded" in str(c.params.get("text"))
                    ]
                    return len(receipts) >= voters

                deadline = started + TELEGRAM_DEADLINE
                result: dict[str, float] = {}
                ok = await _until(stored, deadline)
                result["stored_s"] = time.perf_counter() - started if ok else float("inf")
                result["stored_n"] = float(await core.storage.ballots.count(proposal))
                ok = await _until(answered, deadline)
                result["answered_s"] = time.perf_counter() - started if ok else float("inf")
                return result
            finally:
                await adapter.stop()
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
                await core.close()


async def _proposal_id(core: Core) -> int:
    community = await core.storage.communities.find_space("telegram", str(GROUP))
    assert community is not None
    found = await core.storage.proposals.get(community, 1)
    assert found is not None
    return found.id


# ----- Discord --------------------------------------------------------------------------
async def discord_burst(voters: int = VOTERS) -> tuple[list[float], list[float]]:
    """(deferral latencies, final-answer latencies) in ms for a burst of `/vote`."""
    from bot.adapters.discord import DiscordAdapter
    from tests.harness.fakes.discord_gateway import FakeDiscord

    async with FakeDiscord() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                database_url=f"sqlite:///{tmp}/bench.db",
                charts_dir=Path(tmp) / "charts",
                voting={"require_wallet": False},
                discord={
                    "token": "bench",
                    "api_base_url": fake.api_base_url,
                    "gateway_url": fake.gateway_url,
                    "guild_ids": [fake.guild_id],
                },
            )
            core = await build_core(settings)
            adapter = DiscordAdapter(core, client_options={"guild_ready_timeout": 0.05})
            core.adapters["discord"] = adapter
            runner = asyncio.create_task(adapter.run())
            try:
                if not await adapter.ready(30):
                    raise RuntimeError("the Discord adapter did not start")
                author = fake.add_user("author")
                opening = fake.slash("propose", author, {"title": "Bench", "choices": "yes | no"})
                await fake.send_interaction(opening)
                await fake.wait_for("POST", r"/channels/\d+/messages/\d+/threads", timeout=30)
                payloads = [
                    fake.slash("vote", fake.add_user(f"v{i}"), {"id": 1, "ballot": "yes"})
                    for i in range(voters)
                ]
                since = len(fake.calls)
                for payload in payloads:  # back to back: the next as soon as one is deferred
                    await fake.send_interaction(payload)
                    await fake.wait_callback(payload["id"], timeout=30)
                await fake.wait_for(
                    "PATCH",
                    rf"/webhooks/{fake.app_id}/[^/]+/messages/@original",
                    since=since,
                    count=voters,
                    timeout=60,
                )
                finals: dict[str, float] = {}
                for call in fake.calls[since:]:
                    if call.method == "PATCH" and call.path.endswith("/messages/@original"):
                        token = call.path.split("/")[3]
                        finals.setdefault(token, call.at)
                deferrals = [fake.callback_latency(p["id"]) * 1000 for p in payloads]
                answers = [
                    (finals[p["token"]] - fake.interactions_sent[p["id"]]) * 1000 for p in payloads
                ]
                return deferrals, answers
            finally:
                await adapter.stop()
                await asyncio.wait_for(runner, 30)
                await core.close()


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run() -> list[Row]:
    _quiet()
    tg = asyncio.run(telegram_burst())
    deferrals, answers = asyncio.run(discord_burst())
    stored = f"only {tg['stored_n']:.0f}/{VOTERS} stored by {TELEGRAM_DEADLINE:.0f} s; "
    floor = (VOTERS - 30) / 30  # a burst of 30, then 30 a second
    return [
        Row(
            f"telegram: {VOTERS} new voters, all votes stored",
            tg["stored_s"],
            "s",
            "≤ 2 s",
            (stored if tg["stored_s"] == float("inf") else "")
            + "reads behind 20 msgs/min/group: ~18 min (37/200 by 120 s)",
        ),
        Row(
            f"telegram: {VOTERS} new voters, all receipts delivered",
            tg["answered_s"],
            "s",
            "≤ 15 s",
            f"{VOTERS} DMs at Telegram's 30 msgs/s: ≥ {floor:.1f} s",
        ),
        Row(
            f"discord: burst of {VOTERS} /vote, final answer p99",
            _p(answers, 99),
            "ms",
            "≤ 150 ms",
            f"deferral p99 {_p(deferrals, 99):.1f} ms, p50 {_p(deferrals, 50):.1f} ms",
        ),
        Row(
            f"discord: burst of {VOTERS} /vote, final answer p50",
            _p(answers, 50),
            "ms",
            "",
            "",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.cells()))
