"""The published audit log: export, offline verification and the public endpoint.

A SQLite log of ~50,000 entries (ballots on a few proposals, each closed) is exported
as JSON lines, verified offline from the file (chain + re-tally), and served page by
page from `/c/1/audit.jsonl`. The anchor is `govbot audit verify` on the same
database, measured in the same run: the file verifier does the same hashing and
tallying without the database, so it should be at least as fast.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bench.common import Row
from bot.app import build_core
from bot.public import routes
from bot.settings import load_settings
from bot.web import build_web_app
from handlers.audit.publish import published_lines
from handlers.audit.verify import verify, verify_file
from handlers.core.types import Actor, Command, Event, Where
from storage.repos.ballots import CastRequest
from storage.schema import members

PROPOSALS = 5
VOTERS = 10_000
PAGE = 10_000


async def _measure() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite:///{folder}/bench.db",
            charts_dir=Path(folder) / "charts",
            voting={"require_wallet": False},
            web={"public_pages": True},
        )
        core = await build_core(settings)
        where = Where("console", "console", "main")
        admin = Actor("console", "admin", "admin", is_admin=True)
        try:
            for n in range(PROPOSALS):
                await core.dispatch(Event(admin, where, Command("propose", f"P{n} | a | b | c")))
            now = core.deps.clock.now()
            async with core.storage.db.write() as conn:  # the voters, in one statement
                await conn.execute(
                    members.insert(),
                    [
                        {
                            "community_id": 1,
                            "platform": "console",
                            "user_id": f"v{i}",
                            "display_name": f"v{i}",
                            "first_seen": now,
                        }
                        for i in range(VOTERS)
                    ],
                )
            voters = await core.storage.members.find(1, "console", "v0")
            assert voters is not None
            for n in range(PROPOSALS):
                proposal = await core.storage.proposals.get(1, n + 1)
                assert proposal is not None
                for start in range(0, VOTERS, 1000):
                    await core.storage.ballots.cast_many(
                        [
                            CastRequest(proposal.id, 1, voters.id + i, [i % 3], 1.0, {}, now)
                            for i in range(start, start + 1000)
                        ]
                    )
                await core.dispatch(Event(admin, where, Command("close", str(n + 1))))
            entries = (await core.storage.audit.tip())[0]

            started = time.perf_counter()
            lines = [line async for line in published_lines(core.storage)]
            export_s = time.perf_counter() - started

            started = time.perf_counter()
            report = await verify_file(lines)
            file_s = time.perf_counter() - started
            assert report.ok and report.proposals_checked == PROPOSALS, report.problems

            started = time.perf_counter()
            stored = await verify(core.storage)
            db_s = time.perf_counter() - started
            assert stored.ok, stored.problems

            app = build_web_app(core, routes(core))
            async with TestClient(TestServer(app)) as client:
                started = time.perf_counter()
                response = await client.get(f"/c/1/audit.jsonl?limit={PAGE}")
                await response.read()
                page_s = time.perf_counter() - started
                started = time.perf_counter()
                await (await client.get("/c/1/")).read()
                home_s = time.perf_counter() - started
        finally:
            await core.close()
    return [
        Row(
            f"audit export: {entries:,} entries as JSON lines",
            entries / export_s,
            "entries/s",
            "",
            "read in pages of 5,000 from SQLite",
        ),
        Row(
            f"audit verify --log: {entries:,} entries + {PROPOSALS} re-tallies",
            entries / file_s,
            "entries/s",
            "≥ the database verifier",
            f"govbot audit verify (database) {entries / db_s:,.0f} entries/s, same run",
        ),
        Row(
            f"GET /c/1/audit.jsonl?limit={PAGE:,}",
            page_s * 1000,
            "ms",
            "≤ 1,000 ms",
            "one page, built in memory with its ETag",
        ),
        Row("GET /c/1/ (public page)", home_s * 1000, "ms", "≤ 500 ms", f"{PROPOSALS} proposals"),
    ]


def run() -> list[Row]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    for row in run():
        print(row.cells())
