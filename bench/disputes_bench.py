"""Disputes: what the jury draw and opening a dispute cost.

* `draw_order` over 10,000 and 100,000 candidates (the whole order, as the opening
  entry's verifier recomputes it), beside the anchor: the 10,000 SHA-256 digests alone;
* `/dispute credit:<id> …` on a community of 300 members with reputation (a fresh
  reputation snapshot, the draw, the opening transaction with its audit entry and the
  juror notices), beside the anchor: `/praise` on the same database.

Target: a draw of 100,000 candidates ≤ 1 s; opening a dispute ≤ 0.5 s at 300 members.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from pathlib import Path

from bench.common import Row
from bot.app import build_core
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from handlers.core.types import Actor, Command, Event, Reply, Where
from handlers.disputes.draw import draw_order

MEMBERS = 300
WHERE = Where("console", "console", "main")


def _draws() -> list[Row]:
    rows = []
    seed = "ab" * 32
    for n in (10_000, 100_000):
        weights = {m: 1.0 + (m % 17) for m in range(1, n + 1)}
        start = time.perf_counter()
        order = draw_order(seed, weights)
        took = time.perf_counter() - start
        assert len(order) == n
        rows.append(
            Row(f"disputes: draw order of {n:,} candidates", took * 1000, "ms", "≤ 1000 ms", "")
        )
    start = time.perf_counter()
    for m in range(10_000):
        hashlib.sha256(f"{seed}:{m}".encode()).digest()
    anchor = time.perf_counter() - start
    rows[0] = Row(
        rows[0].name,
        rows[0].value,
        "ms",
        rows[0].target,
        f"10,000 SHA-256 alone: {anchor * 1000:.1f} ms",
    )
    return rows


async def _opening() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite:///{tmp}/bench.db", charts_dir=Path(tmp))
        core = await build_core(settings, clock=ManualClock(1_800_000_000.0))
        try:

            async def say(user: str, text: str, admin: bool = False) -> list[Reply]:
                name, _, rest = text.partition(" ")
                actor = Actor("console", user, user, is_admin=admin)
                replies = await core.dispatch(Event(actor, WHERE, Command(name, rest)))
                assert replies and "error" not in replies[0].meta, replies[0].text
                return replies

            for m in range(MEMBERS):
                await say(f"m{m}", "rep")
            for m in range(MEMBERS):
                await say("admin", f"credit m{m} {1 + m % 5} work", admin=True)
            start = time.perf_counter()
            praised = await say("m1", "praise m2 thanks")
            anchor = time.perf_counter() - start
            credit = praised[0].meta["contribution"]
            start = time.perf_counter()
            await say("m3", f"dispute credit:{credit} same person")
            opening = time.perf_counter() - start
        finally:
            await core.close()
    return [
        Row(
            f"disputes: open a credit dispute, {MEMBERS} members with reputation",
            opening * 1000,
            "ms",
            "≤ 500 ms",
            f"/praise on the same database: {anchor * 1000:.1f} ms",
        )
    ]


def run() -> list[Row]:
    return _draws() + asyncio.run(_opening())
