"""`govbot rewards export` and the `[rewards]` settings, through the real CLI entry."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from eth_account import Account

from bot.__main__ import main
from tests.conftest import run_command
from tests.harness.core import core_env
from tests.rewards.conftest import REWARDS
from tests.rewards.helpers import link


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GOVBOT_REWARDS__TOKEN", REWARDS["token"])
    monkeypatch.setenv("GOVBOT_REWARDS__DECIMALS", "18")
    return database_url


async def _one_closed_epoch(database_url: str, tmp_path: Path, clock) -> str:
    async with core_env(tmp_path, database_url=database_url, clock=clock, rewards=REWARDS) as core:
        await run_command(core, "admin", "/epoch", admin=True)
        account = Account.create()
        await link(core, "alice", account)
        await run_command(core, "admin", "/credit alice 10 docs", admin=True)
        await run_command(core, "admin", "/epoch close", admin=True)
        await run_command(core, "admin", "/epoch", admin=True)  # epoch 2 runs
    return account.address


async def test_export_writes_the_three_files_and_refuses_an_open_epoch(
    env: str, tmp_path: Path, clock, capsys: pytest.CaptureFixture[str]
) -> None:
    address = await _one_closed_epoch(env, tmp_path, clock)
    out = tmp_path / "payouts.csv"
    assert await _main(["rewards", "export", "1", "--format", "csv", "--out", str(out)]) == 0
    [row] = list(csv.DictReader(io.StringIO(out.read_text())))
    assert row["address"] == address and row["member"] == "alice" and int(row["amount"]) > 0
    assert await _main(["rewards", "export", "1", "--format", "merkle"]) == 0
    merkle = json.loads(capsys.readouterr().out)
    assert list(merkle["claims"]) == [address] and merkle["claims"][address]["proof"] == []
    assert merkle["root"] == merkle["tree"]["tree"][0], "one leaf: the root is the leaf"
    assert await _main(["rewards", "export", "1", "--format", "safe"]) == 0
    batch = json.loads(capsys.readouterr().out)
    assert batch["transactions"][0]["contractInputsValues"]["to"] == address

    assert await _main(["rewards", "export", "2", "--format", "csv"]) == 2
    assert "epoch 2 is still open" in capsys.readouterr().err
    assert await _main(["audit", "verify"]) == 0
    assert "1 reward epochs recomputed and matching" in capsys.readouterr().out


async def _main(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("GOVBOT_REWARDS__BUDGET", "0", "rewards.budget"),
        ("GOVBOT_REWARDS__BUDGET", "-5", "rewards.budget"),
        ("GOVBOT_REWARDS__POOLS", '{"contributors": 50, "raters": 20}', "rewards.pools"),
        ("GOVBOT_REWARDS__POOLS", '{"contributors": 90, "bounties": 10}', "rewards.pools"),
        ("GOVBOT_REWARDS__TOKEN", "dai", "rewards.token"),
        ("GOVBOT_REWARDS__SCHEDULE", "daily", "rewards.schedule"),
        ("GOVBOT_REWARDS__BUDGET", "0.5", "budget: 0.5 has more than 0 decimals"),
    ],
)
def test_bad_rewards_settings_stop_start_up_naming_the_key(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/never.db")
    monkeypatch.setenv(variable, value)
    assert main(["audit", "verify"]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "never.db").exists(), "nothing was written"
