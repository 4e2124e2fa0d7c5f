"""Graceful shutdown: SIGTERM during a burst of console votes loses no acknowledged vote.

A real `govbot run` process (the console chat, SQLite and PostgreSQL) is fed thousands
of `/as uN` + `/vote 1 yes` lines; once some receipts are printed it gets SIGTERM while
more lines keep arriving. It must exit 0 with every member whose receipt was printed
holding a ballot, no member twice, and the audit chain verifying.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.audit.verify import verify
from storage import open_storage
from storage.schema import ballots, members
from tests.harness.process import BotProcess, bot_env, bot_process

RECEIPT = re.compile(r"govbot → (u\d+) \(private\): Vote recorded on #1")
VOTERS = 3000
SIGTERM_AFTER = 40  # receipts seen before the signal


def script() -> list[str]:
    """The lines to feed; the pipe's back-pressure paces them."""
    lines = ["/as admin", "/propose Burst | yes | no"]
    for i in range(VOTERS):
        lines += [f"/as u{i}", "/vote 1 yes"]
    return lines


def acknowledged(bot: BotProcess) -> list[str]:
    """The members whose receipt the bot printed."""
    return [found.group(1) for line in bot.lines if (found := RECEIPT.search(line))]


@pytest.mark.slow
async def test_sigterm_during_vote_burst_keeps_every_acknowledged_vote(
    database_url: str, tmp_path: Path
) -> None:
    with bot_process(bot_env(database_url, tmp_path), tmp_path) as bot:
        bot.feed(script())
        await bot.until(lambda b: len(acknowledged(b)) >= SIGTERM_AFTER, timeout=60)
        bot.signal(signal.SIGTERM)  # mid-burst: lines keep coming
        returncode = await bot.exited(60)
    assert returncode == 0, bot.stderr[-2000:]
    acks = acknowledged(bot)
    assert len(acks) < VOTERS, "SIGTERM did not stop the run early"

    storage = await open_storage(database_url)
    try:
        async with storage.db.read() as conn:
            rows = await conn.execute(
                select(members.c.user_id)
                .select_from(ballots.join(members, ballots.c.member_id == members.c.id))
                .where(ballots.c.proposal_id == 1)
            )
            stored = [row.user_id for row in rows]
        report = await verify(storage)  # what `govbot audit verify` checks
    finally:
        await storage.close()
    assert report.ok, report.problems[:3]
    assert len(stored) == len(set(stored)), "a member holds two ballots"
    missing = sorted(set(acks) - set(stored))
    assert missing == [], f"acknowledged but not stored: {missing[:10]}"
