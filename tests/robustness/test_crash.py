"""SIGKILL the bot mid-burst 20 times: every acknowledged vote survives, none twice.

Each run is a real bot process on a file database (SQLite) or a PostgreSQL database.
A burst of `/vote` lines from many members goes down its stdin at once; after a random
number of acknowledgements (and a random few milliseconds more, so the kill lands at
any point of the vote path: parsing, queued, inside the transaction, after the commit
but before the receipt is printed) it is SIGKILLed and started again. Then a clean run
closes both proposals, and the database is checked against every receipt printed:

* each acknowledged receipt is a `ballot.cast` entry of that member, and their ballot
  row holds it, or a later logged ballot of theirs that replaced it;
* no (proposal, member) pair has two ballots, and the ballots table is exactly the last
  logged ballot of each member;
* the audit chain verifies and the closing tallies re-count from the log
  (`handlers.audit.verify`, what `govbot audit verify` runs).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from pathlib import Path

from tests.harness.process import Ack, BotProcess, bot_env, start_bot
from tests.robustness.ledger import DbState, check, read_state

CYCLES = 20
BURST = 150  # votes queued per run; the kill comes long before the last one
MEMBERS = [f"m{i}" for i in range(12)]
SETUP = [
    "/as admin",
    "/propose Budget | a | b | c hours=100",
    "/propose Tools | x | y | z method=approval hours=100",
]


def burst(rng: random.Random) -> list[str]:
    """Votes from random members on both proposals; members often change their mind."""
    lines: list[str] = []
    for _ in range(BURST):
        lines.append(f"/as {rng.choice(MEMBERS)}")
        if rng.random() < 0.6:
            lines.append(f"/vote 1 {rng.choice('abc')}")
        else:
            lines.append(f"/vote 2 {', '.join(rng.sample(['x', 'y', 'z'], rng.randint(1, 3)))}")
    return lines


def crash_once(bot: BotProcess, rng: random.Random) -> list[Ack]:
    """Send a burst, let some of it be acknowledged, SIGKILL; the acknowledgements."""
    bot.send(burst(rng))
    target = rng.randint(1, 30)
    bot.wait_until(lambda b: len(b.acks) >= target)
    time.sleep(rng.random() * 0.02)
    bot.kill()
    assert len(bot.acks) < BURST, "the burst finished before the kill; raise BURST"
    return bot.acks


def oracle_catches(acks: list[Ack], state: DbState) -> None:
    """The checker must notice a lost acknowledged vote and a ballot row that drifted."""
    lost = Ack("m0", 1, "a", "f" * 64)
    assert check([*acks, lost], state), "a lost receipt went unnoticed"
    key, row = next(iter(state.rows.items()))
    drifted = dataclasses.replace(
        state, rows={**state.rows, key: dataclasses.replace(row, weight=9)}
    )
    assert check(acks, drifted), "a ballot row differing from the log went unnoticed"


def test_sigkill_mid_burst_keeps_every_acknowledged_vote(database_url: str, tmp_path: Path) -> None:
    rng = random.Random(f"crash-{database_url.split(':')[0]}")
    env = bot_env(database_url, tmp_path)
    acks: list[Ack] = []
    for cycle in range(CYCLES):
        # the first start is the real `python -m bot run`; restarts fork a pre-imported one
        bot = start_bot(env, tmp_path, fork=cycle > 0)
        if cycle == 0:
            bot.send(SETUP)
            bot.wait_until(lambda b: b.saw("govbot: #2 Tools · open"))
        acks += crash_once(bot, rng)

    final = start_bot(env, tmp_path, fork=True)
    final.send(["/as admin", "/close 1", "/close 2"])
    assert final.finish() == 0, (tmp_path / "stderr.log").read_text()[-2000:]
    assert final.saw("govbot: #1 Budget · closed") and final.saw("govbot: #2 Tools · closed")
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()

    state = asyncio.run(read_state(database_url))
    assert len(acks) >= CYCLES
    assert check(acks, state) == []
    assert set(state.closed_entries.values()) == {1} and len(state.closed_entries) == 2
    for number in (1, 2):  # every stored ballot was counted in its closing tally
        pid = state.proposal_ids[number]
        voters = sum(1 for p, _ in state.rows if p == pid)
        assert json.loads(state.results[pid])["voters"] == voters
    oracle_catches(acks, state)
