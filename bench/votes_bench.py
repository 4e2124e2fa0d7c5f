"""Durable votes per second through the handler layer on SQLite, 200 concurrent voters.

Each vote goes the whole way a member's `/vote` does: dispatcher, argument parsing,
ballot parsing, weighting, the group-committed write with its audit entry, and the
receipt. A vote counts only once its transaction has committed (synchronous=FULL).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Row
from bot.app import build_core
from bot.settings import load_settings
from handlers.core.types import Actor, Command, Event, Where

VOTERS = 200
VOTES_EACH = 50


async def _measure(
    voters: int, votes_each: int, *, max_batch: int | None = None
) -> tuple[float, list[float], int]:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite:///{folder}/bench.db",
            charts_dir=Path(folder) / "charts",
            voting={"require_wallet": False},  # measures the vote path, not linking
        )
        core = await build_core(settings)
        if max_batch is not None:  # the anchor: one transaction (one sync) per vote
            core.storage.ballots._committer._max_batch = max_batch
        where = Where("console", "console", "main")
        try:
            author = Actor("console", "author", "author")
            await core.dispatch(
                Event(author, where, Command("propose", "Bench | yes | no | maybe"))
            )
            actors = [Actor("console", f"m{i}", f"m{i}") for i in range(voters)]
            community_id = await core.storage.communities.find_space("console", "console")
            assert community_id is not None
            for voter in actors:  # members exist before the clock starts
                await core.storage.members.ensure(
                    community_id, "console", voter.user_id, voter.user_id
                )
            latencies: list[float] = []
            choices = ("yes", "no", "maybe")
            for voter in actors:  # warm the per-process caches; steady state is measured
                await core.dispatch(Event(voter, where, Command("vote", "1 yes")))

            async def voter_loop(voter: Actor, offset: int) -> None:
                for n in range(votes_each):
                    event = Event(voter, where, Command("vote", f"1 {choices[(n + offset) % 3]}"))
                    started = time.perf_counter()
                    replies = await core.dispatch(event)
                    latencies.append(time.perf_counter() - started)
                    if "Receipt" not in replies[0].text:
                        raise RuntimeError(f"vote refused: {replies[0].text}")

            started = time.perf_counter()
            await asyncio.gather(*(voter_loop(a, i) for i, a in enumerate(actors)))
            elapsed = time.perf_counter() - started
            batches = core.storage.ballots._committer.batches
        finally:
            await core.close()
    return voters * votes_each / elapsed, latencies, batches


def run() -> list[Row]:
    rate, latencies, batches = asyncio.run(_measure(VOTERS, VOTES_EACH))
    cuts = statistics.quantiles(latencies, n=100)
    naive, _, _ = asyncio.run(_measure(VOTERS, 10, max_batch=1))
    anchor = f"a commit per vote, same path: {naive:,.0f}/s"
    return [
        Row("durable votes/s, SQLite, 200 voters", rate, "votes/s", "≥ 10,000/s", anchor),
        Row("  vote latency p50", cuts[49] * 1000, "ms", "", f"{batches} group commits"),
        Row("  vote latency p99", cuts[98] * 1000, "ms", "≤ 25 ms", ""),
    ]


if __name__ == "__main__":
    for row in run():
        print(row.cells())
