"""The jury draw: weighted by reputation, and recomputable by anyone from the audit log.

`test_anyone_recomputes_the_jury_from_the_audit_log_alone` reads nothing but the log's
entries and redoes the draw with its own few lines (the formula handlers/disputes/draw.py
documents), so a verifier needs no govbot code."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import pytest

from bot.app import Core
from handlers.core.ports import ManualClock
from handlers.disputes.draw import draw_order
from handlers.disputes.policy import DisputePolicy
from tests.disputes.helpers import community, jurors, member_id, ok


def independent_draw(seed: str, weights: dict[str, float], parties: list[int], k: int) -> list[int]:
    keys = []
    for member, weight in weights.items():
        if weight <= 0 or int(member) in parties:
            continue
        digest = hashlib.sha256(f"{seed}:{int(member)}".encode()).digest()
        u = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
        keys.append((-math.log(u) / weight, int(member)))
    return [m for _, m in sorted(keys)[:k]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_anyone_recomputes_the_jury_from_the_audit_log_alone(
    core: Core, clock: ManualClock
) -> None:
    core.deps.disputes = DisputePolicy(jury_size=5)
    await community(core)
    praised = await ok(core, "ann", "/praise bob thanks")
    await ok(core, "cyd", f"/dispute credit:{praised[0].meta['contribution']} same person")
    previous = ""
    opened = None
    async for entry, _ in core.storage.audit.entries():
        if entry.kind == "dispute.opened":
            opened = entry
            break
        previous = entry.hash
    assert opened is not None
    p = opened.payload
    assert p["seed"] == previous == opened.prev_hash  # the chain's head at the opening
    again = independent_draw(p["seed"], p["candidates"], p["parties"], p["jury_size"])
    assert again == p["jurors"]
    names = {await member_id(core, n): n for n in await jurors(core, 1)}
    assert set(names) == set(again)
    assert {await member_id(core, n) for n in ("ann", "bob", "cyd")} <= set(p["parties"])


def test_the_draw_follows_reputation_and_a_different_head_draws_differently() -> None:
    weights = {1: 1.0, 2: 3.0, 3: 0.0}
    firsts = Counter(draw_order(f"{i:064x}", weights)[0] for i in range(4000))
    assert 3 not in firsts  # no reputation, never drawn
    assert abs(firsts[2] / 4000 - 0.75) < 0.03  # drawn first with chance w / Σw
    many = {m: float(m) for m in range(1, 40)}
    assert draw_order("a" * 64, many) != draw_order("b" * 64, many)
    assert draw_order("a" * 64, many) == draw_order("a" * 64, dict(reversed(many.items())))
    assert 5 not in draw_order("a" * 64, many, exclude={5})
