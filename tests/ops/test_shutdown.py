"""Graceful shutdown: SIGTERM during a burst of console votes loses no acknowledged vote.

A real `govbot run` process (the console chat, SQLite and PostgreSQL) is fed thousands
of `/as uN` + `/vote 1 yes` lines; once some receipts are printed it gets SIGTERM while
more lines keep arriving. It must exit 0 with every member whose receipt was printed
holding a ballot, no member twice, and the audit chain verifying.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.audit.verify import verify
from storage import open_storage
from storage.schema import ballots, members

ROOT = Path(__file__).resolve().parents[2]
RECEIPT = re.compile(r"govbot → (u\d+) \(private\): Vote recorded on #1")
VOTERS = 3000
SIGTERM_AFTER = 40  # receipts seen before the signal


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOVBOT_", "TELEGRAM_", "DISCORD_", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        GOVBOT_CHARTS_DIR=str(tmp_path / "charts"),
        GOVBOT_VOTING__REQUIRE_WALLET="false",
    )
    return env


async def _feed(stdin: asyncio.StreamWriter) -> None:
    """Write the script; the pipe's back-pressure paces it. Stops when the bot is gone."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(b"/as admin\n/propose Burst | yes | no\n")
        for i in range(VOTERS):
            stdin.write(f"/as u{i}\n/vote 1 yes\n".encode())
            await stdin.drain()


@pytest.mark.slow
async def test_sigterm_during_vote_burst_keeps_every_acknowledged_vote(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=str(ROOT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin and process.stdout and process.stderr
    feeder = asyncio.create_task(_feed(process.stdin))
    acknowledged: list[str] = []
    signalled = False
    try:
        async with asyncio.timeout(60):
            while line := await process.stdout.readline():
                if found := RECEIPT.search(line.decode()):
                    acknowledged.append(found.group(1))
                if len(acknowledged) >= SIGTERM_AFTER and not signalled:
                    process.send_signal(signal.SIGTERM)  # mid-burst: lines keep coming
                    signalled = True
            stderr = await process.stderr.read()
            returncode = await process.wait()
    finally:
        feeder.cancel()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert signalled, "the burst ended before the signal"
    assert returncode == 0, stderr.decode()[-2000:]
    assert len(acknowledged) < VOTERS, "SIGTERM did not stop the run early"

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
    missing = sorted(set(acknowledged) - set(stored))
    assert missing == [], f"acknowledged but not stored: {missing[:10]}"
