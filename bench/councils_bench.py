"""Councils: what the council job costs per run, on SQLite (synchronous=FULL).

100 councils of 10 seats, each with 10 candidates standing. Measured:

* the run that closes all 100 nomination windows and seats 1,000 members unopposed
  (one transaction per council, each with 11 audit entries and a notice);
* an idle run once they are seated (nothing due: the scan every `check_interval_seconds`
  pays), beside the anchor: the proposals' own closing job on the same database, idle.

Target: an idle run well inside the 30 s interval (≤ 1 s).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import Row
from bot.app import build_core
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from handlers.core.types import Actor, Command, Event, Where

COUNCILS, SEATS = 100, 10
WHERE = Where("console", "console", "main")


async def _measure() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite:///{tmp}/bench.db", charts_dir=Path(tmp))
        clock = ManualClock(1_800_000_000.0)
        core = await build_core(settings, clock=clock)
        try:

            async def say(user: str, text: str, admin: bool = False) -> None:
                name, _, rest = text.partition(" ")
                actor = Actor("console", user, user, is_admin=admin)
                replies = await core.dispatch(Event(actor, WHERE, Command(name, rest)))
                assert replies and "error" not in replies[0].meta, replies[0].text

            for c in range(COUNCILS):
                await say(
                    "admin",
                    f"council create C{c} seats={SEATS} term=90 method=stv",
                    admin=True,
                )
                for m in range(SEATS):
                    await say(f"m{c}x{m}", f"stand C{c}")
            jobs = {job.name: job for job in core.jobs()}
            council_job = next(j for n, j in jobs.items() if n.startswith("council"))
            close_job = next(j for n, j in jobs.items() if n.startswith("close proposals"))
            clock.advance(49 * 3600)
            start = time.perf_counter()
            await council_job.run(core.deps)
            seating = time.perf_counter() - start
            clock.advance(60)
            idle = []
            anchor = []
            for _ in range(5):
                start = time.perf_counter()
                await council_job.run(core.deps)
                idle.append(time.perf_counter() - start)
                start = time.perf_counter()
                await close_job.run(core.deps)
                anchor.append(time.perf_counter() - start)
        finally:
            await core.close()
    return [
        Row(
            f"councils: seat {COUNCILS * SEATS:,} members of {COUNCILS} councils (one job run)",
            seating,
            "s",
            "",
            f"{seating / COUNCILS * 1000:.1f} ms per council",
        ),
        Row(
            f"councils: idle job run, {COUNCILS} councils",
            min(idle) * 1000,
            "ms",
            "≤ 1,000 ms",
            f"proposals' closing job, idle: {min(anchor) * 1000:.2f} ms",
        ),
    ]


def run() -> list[Row]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    for row in run():
        print(row.cells())
