"""The raters' and the models' pools from real battles: quality-weighted ratings, and
the epoch's Bradley–Terry results split among the owners of rated models."""

from __future__ import annotations

import math
import random
from pathlib import Path

from eth_account import Account

from handlers.arena.board import stored_rows
from handlers.arena.fair import rater_checks
from handlers.audit.verify import verify
from tests.conftest import press, run_command
from tests.harness.core import core_env
from tests.rewards.conftest import REWARDS
from tests.rewards.helpers import link, member_id

OWNER = Account.create().address
MODELS = [
    {"name": "demo-atlas", "provider": "offline", "vendor": "Atlas Labs", "owner": "console:alice"},
    {"name": "demo-borealis", "provider": "offline", "vendor": "Borealis AI", "owner": OWNER},
    {"name": "demo-cirrus", "provider": "offline", "vendor": "Cirrus"},
]
RATERS = ("bob", "carol", "dave")


async def test_raters_and_model_owners_are_paid_from_the_epochs_battles(
    database_url: str, tmp_path: Path, clock
) -> None:
    pools = {"contributors": "0", "raters": "40", "models": "60"}
    async with core_env(
        tmp_path,
        database_url=database_url,
        clock=clock,
        rewards=REWARDS | {"pools": pools},
        arena={"models": MODELS, "min_battles": 1, "reveal_votes": 3},
    ) as core:
        core.deps.arena.rng = random.Random(3)
        await run_command(core, "admin", "/epoch", admin=True)
        alice = Account.create()
        await link(core, "alice", alice)
        for name in RATERS:
            await link(core, name, Account.create())
        choice = random.Random(5)
        for i in range(8):
            card = await run_command(core, "admin", f"/arena question number {i}", admin=True)
            battle = card[0].buttons[0].args[0]
            for rater in RATERS:
                await press(core, rater, "arena", battle, choice.choice(["a", "a", "b", "tie"]))
        closed = await run_command(core, "admin", "/epoch close", admin=True)
        assert "Epoch 1 closed" in closed[0].text
        epoch = await core.storage.rewards.get(1, 1)
        assert epoch is not None
        rows = {r.recipient: r for r in await core.storage.rewards.allocations(epoch.id)}
        summary = epoch.summary or {}

        # raters: Σ of their ratings' weights, as /raters computes the rater checks
        _, rated = await stored_rows(core.storage, 1)
        quality = rater_checks(rated, core.deps.arena.policy)
        weight = {name: 0.0 for name in RATERS}
        ids = {name: await member_id(core, name) for name in RATERS}
        for rating in rated:
            name = next(n for n, i in ids.items() if i == rating.member_id)
            weight[name] += quality[rating.member_id].weight
        pool = int(summary["pools"]["raters"])
        for name in RATERS:
            exact = pool * weight[name] / sum(weight.values())
            got = rows[f"m:{ids[name]}"].parts["raters"]
            assert math.isclose(got, exact, rel_tol=1e-12, abs_tol=1), (name, got, exact)

        # models: share of wins of the owned models (cirrus has no owner, so no share)
        battles = {}
        for r in rated:
            battles.setdefault(r.battle_id, (r.model_a, r.model_b))
        wins = {m["name"]: 0.0 for m in MODELS}
        for r in rated:
            if r.choice == "a":
                wins[r.model_a] += 1
            elif r.choice == "b":
                wins[r.model_b] += 1
            else:
                wins[r.model_a] += 0.5
                wins[r.model_b] += 0.5
        owned = wins["demo-atlas"] + wins["demo-borealis"]
        pool = int(summary["pools"]["models"])
        alice_key = f"m:{await member_id(core, 'alice')}"
        for key, model in ((alice_key, "demo-atlas"), (f"a:{OWNER}", "demo-borealis")):
            exact = pool * wins[model] / owned
            got = rows[key].parts["models"] if key in rows else 0
            assert math.isclose(got, exact, rel_tol=1e-12, abs_tol=1), (model, got, exact)
        assert rows[f"a:{OWNER}"].status == "paid" and rows[f"a:{OWNER}"].address == OWNER
        assert rows[alice_key].address == alice.address
        report = await verify(core.storage)
        assert report.ok and report.epochs_checked == 1, report.problems

        # the next epoch starts empty: these battles were counted once
        again = await run_command(core, "bob", "/epoch")
        assert again[0].meta["projected"] == "0"
