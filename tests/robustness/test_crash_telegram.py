"""SIGKILL a Telegram bot mid-burst 20 times: no vote fetched is lost, none applied twice.

Each run is a real `govbot run` process polling the fake Telegram API, on a file
database (SQLite) or a PostgreSQL database. Every run gets a burst of `/vote` updates
from a few members who keep changing their minds; after a random number of receipts
went out (and a random few milliseconds more, so the kill lands anywhere: an update
fetched but not handled, a ballot queued, committed but not noted, noted but not
confirmed, a receipt half sent) the process is SIGKILLed and a new one started. The
fake keeps every update whose offset the bot did not confirm and delivers it again,
as Telegram does. A last, clean run works through what is left and stops on SIGTERM.

Then each member's `ballot.cast` entries in the audit log must be exactly their votes,
in the order they sent them: a lost update would be missing, an update handled twice
would appear twice (a redelivered vote must answer with its first receipt, not vote
again). The ballots table holds each member's last vote and the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import pytest

from storage.records import dumps
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.process import BotProcess, bot_env, start_bot
from tests.harness.waiting import until
from tests.robustness.ledger import DbState, check, read_state
from tests.robustness.telegram_reads import confirmed, receipts

CYCLES = 20
BURST = 30  # votes per run; receipts go out at ~30 a second, so the kill comes mid-burst
MEMBERS = [20_000 + i for i in range(12)]
CHOICES = "abc"
TOKEN = "123:ABC"
GROUP = -100_900
AUTHOR = 9


def sequences(state: DbState) -> dict[str, list[str]]:
    """Each member's logged selections on proposal #1, in audit-chain order."""
    proposal = state.proposal_ids[1]
    found: dict[str, list[str]] = {}
    for entry in state.logged:
        if entry.proposal_id == proposal:
            found.setdefault(state.member_names[entry.member_id], []).append(entry.selection)
    return found


async def start(env: dict[str, str], tmp_path: Path, fake: FakeTelegramAPI) -> BotProcess:
    polls = len(fake.calls_to("getUpdates"))
    bot = start_bot(env, tmp_path / "bot", fork=True)
    await until(lambda: len(fake.calls_to("getUpdates")) > polls, "the bot polling", timeout=60)
    return bot


@pytest.mark.slow
async def test_sigkill_mid_telegram_burst_loses_and_doubles_nothing(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(f"crash-telegram-{database_url.split(':')[0]}")
    sent: dict[str, list[str]] = {str(m): [] for m in MEMBERS}
    last = 0
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Crash")
        env = bot_env(
            database_url,
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=fake.base_url,
            # members here change their minds faster than the anti-flood limit allows;
            # a refused vote would be answered, not lost, but would not be in the log
            GOVBOT_LIMITS__COMMANDS_PER_MINUTE="0",
        )
        for cycle in range(CYCLES):
            bot = await start(env, tmp_path, fake)
            try:
                if cycle == 0:
                    fake.send_text(GROUP, AUTHOR, "/propose Crash | a | b | c hours=100")
                    await fake.wait_for("sendMessage", chat_id=GROUP, timeout=30)
                before = sum(len(r) for r in receipts(fake).values())
                for _ in range(BURST):
                    member = rng.choice(MEMBERS)
                    choice = rng.choice(CHOICES)
                    sent[str(member)].append(dumps([CHOICES.index(choice)]))
                    last = fake.push({"message": fake.message(GROUP, member, f"/vote 1 {choice}")})
                target = before + rng.randint(1, 10)
                await until(
                    lambda target=target: sum(len(r) for r in receipts(fake).values()) >= target,
                    "some receipts of this burst",
                    timeout=60,
                )
                await asyncio.sleep(rng.random() * 0.02)
            finally:
                bot.kill()
            assert not confirmed(fake, last), "the burst was done before the kill; raise BURST"

        final = await start(env, tmp_path, fake)
        try:
            await until(lambda: confirmed(fake, last), "every update handled", timeout=120)
            final.signal(signal.SIGTERM)
            code = await final.exited(60)
        finally:
            if final.returncode is None:
                final.kill()
        log = final.stderr
    assert code == 0, log[-3000:]
    assert "Traceback" not in log

    state = await read_state(database_url)
    assert check([], state) == []  # audit chain, one row per member = their last ballot
    logged = sequences(state)
    assert sum(len(v) for v in sent.values()) == CYCLES * BURST
    for member, votes in sent.items():
        assert logged.get(member, []) == votes, f"member {member}: sent {votes}"
