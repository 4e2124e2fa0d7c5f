"""Two `govbot run` processes sharing one PostgreSQL database act as one community.

Process A is the real `python -m bot run`, process B a forked one; both are console
bots on the same database (the console space maps both to one community), started at
the same moment on an empty database (so they also race to migrate it). Then:

* the same members vote on the same proposal through both at once: each member ends
  with one ballot, the last one logged, and every receipt either process printed is
  accounted for;
* short proposals end while both schedulers poll every 0.1 s: each closes exactly once
  (one `proposal.closed` entry) and its result card is printed by exactly one process
  (`handlers/closing.py` claims the announcement in the database);
* the audit chain verifies and every tally re-counts from the log.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from pathlib import Path

from tests.harness.process import BotProcess, bot_env, start_bot
from tests.pgcluster import PgCluster
from tests.robustness.ledger import check, read_state

MEMBERS = [f"m{i}" for i in range(8)]
ROUNDS = 8
SHORT = [2, 3, 4, 5]  # proposal numbers that end during the test


def votes(rng: random.Random, proposal: int, choices: str) -> list[str]:
    lines: list[str] = []
    for _ in range(ROUNDS):
        for member in rng.sample(MEMBERS, len(MEMBERS)):
            lines += [f"/as {member}", f"/vote {proposal} {rng.choice(choices)}"]
    return lines


def result_cards(bot: BotProcess, number: int) -> int:
    card = re.compile(rf"^\[#\d+\] govbot: #{number} Snack{number} · closed$")
    return sum(1 for line in bot.lines if card.match(line))


def test_two_processes_one_postgres_database(postgres_cluster: PgCluster, tmp_path: Path) -> None:
    url = postgres_cluster.new_database(f"scale_out_{os.getpid()}")
    env = bot_env(
        url,
        tmp_path,
        GOVBOT_SCHEDULER__CLOSE_INTERVAL_SECONDS="0.1",
        GOVBOT_VOTING__MIN_HOURS="0.0001",
        GOVBOT_REPUTATION__RECOMPUTE_INTERVAL_SECONDS="0.2",
    )
    a = start_bot(env, tmp_path / "a")
    b = start_bot(env, tmp_path / "b", fork=True)
    a.send(["/as admin", "/propose Long | a | b | c hours=100"])
    a.wait_until(lambda bot: bot.saw("govbot: #1 Long · open"))
    b.send(["/proposal 1"])  # B serves the same community: it sees A's proposal
    b.wait_until(lambda bot: bot.saw("govbot: #1 Long · open"))

    rng = random.Random("scale-out")
    a.send([*votes(rng, 1, "abc"), "/as done-a"])
    b.send([*votes(rng, 1, "abc"), "/as done-b"])
    # short proposals, opened while the votes run; members of both vote on them too
    a.send(["/as admin"] + [f"/propose Snack{n} | x | y hours=0.0004" for n in SHORT])
    for bot, mark in ((a, "done-a"), (b, "done-b")):
        bot.wait_until(lambda p, mark=mark: p.saw(f"you are now {mark}"), timeout=60)
    a.wait_until(lambda bot: bot.saw(f"govbot: #{SHORT[-1]} Snack{SHORT[-1]} · open"))
    for bot in (a, b):
        bot.send([line for n in SHORT for line in (f"/as m{n}", f"/vote {n} x")])
    deadline = time.monotonic() + 60
    while any(result_cards(a, n) + result_cards(b, n) == 0 for n in SHORT):
        assert time.monotonic() < deadline, "the short proposals were never announced"
        time.sleep(0.1)
    time.sleep(0.5)  # several more scheduler ticks in both: any second card would show now
    assert a.finish() == 0 and b.finish() == 0

    state = asyncio.run(read_state(url))
    assert check(a.acks, state) == [] and check(b.acks, state) == []
    long_id = state.proposal_ids[1]
    voters = {member for proposal, member in state.rows if proposal == long_id}
    assert len(voters) == len(MEMBERS)  # one ballot per member, from two processes' votes
    both = {ack.member for ack in a.acks if ack.proposal == 1} & {
        ack.member for ack in b.acks if ack.proposal == 1
    }
    assert both == set(MEMBERS)  # every member's ballot was raced by both processes
    for number in SHORT:
        pid = state.proposal_ids[number]
        assert state.closed_entries.get(pid) == 1, f"#{number} closed {state.closed_entries}"
        assert result_cards(a, number) + result_cards(b, number) == 1, f"#{number} announced"
        counted = json.loads(state.results[pid])["voters"]
        assert counted == sum(1 for p, _ in state.rows if p == pid)
    assert state.closed_entries.get(long_id) is None
    for side in ("a", "b"):
        assert "Traceback" not in (tmp_path / side / "stderr.log").read_text()
