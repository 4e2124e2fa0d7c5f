"""Databases written by earlier commits upgrade with everything kept; newer ones are refused.

Each directory under fixtures/ holds one database made by an earlier commit's own code
(see fixtures/README.md): a SQLite file and a PostgreSQL dump, and `expected.json` with
what that code wrote. Each is opened with today's `open_storage`, on both engines.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_account.messages import encode_defunct

from bot.app import build_core
from bot.audit_cli import verify_command
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from storage import Storage, open_storage
from storage.migrations import HEAD, LATEST, MigrationError
from tests.conftest import is_refusal, run_command
from tests.harness.process import ROOT, bot_env
from tests.pgcluster import PgCluster
from tests.storage.conftest import NewDatabase
from tests.storage.fixtures.make_fixtures import T0, manifest
from tests.storage.schemacheck import (
    create_all_fingerprint,
    execute,
    fingerprint,
    metadata_diffs,
    on_connection,
    restore_dump,
    state,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
ENGINE_KEY = {"sqlite": "sqlite", "postgres": "postgresql"}
_restores = iter(range(1, 1_000_000))


def restore(name: str, engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A private copy of fixture `name` on `engine`; returns its URL."""
    if engine == "sqlite":
        target = tmp_path / f"{name}.sqlite3"
        shutil.copy(FIXTURES / name / "govbot.sqlite3", target)
        return f"sqlite:///{target}"
    cluster: PgCluster = request.getfixturevalue("postgres_cluster")
    database = f"u{os.getpid()}_{next(_restores)}"
    return restore_dump(cluster, FIXTURES / name / "govbot.pg.sql", database)


def expected(name: str, engine: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name / "expected.json").read_text())[ENGINE_KEY[engine]])


def test_every_fixture_was_made_by_an_earlier_version() -> None:
    # Every schema version a commit before Alembic wrote (v1, v4 and v7 releases) has a
    # fixture; versions created since are upgraded by the revision tests from empty.
    versions = {int(name.split("-")[0][1:]) for name in FIXTURE_NAMES}
    assert {1, 4, 7} <= versions and max(versions) <= LATEST


async def _check_kept(storage: Storage, old: dict[str, Any]) -> None:
    """Today's repositories find every proposal, ballot, link, battle and credit."""
    async with storage.db.read() as conn:
        (community_id,) = (await conn.execute(sa.text("SELECT id FROM communities"))).one()
        found = await conn.execute(sa.text("SELECT id, user_id FROM members"))
        users: dict[int, str] = {row[0]: row[1] for row in found}
    for number, title, status, choices, result, result_hash, closed_at in old["proposals"]:
        proposal = await storage.proposals.get(community_id, number)
        assert proposal is not None, number
        assert (proposal.title, proposal.status, proposal.closed_at) == (title, status, closed_at)
        assert proposal.choices == tuple(json.loads(choices))
        assert proposal.result == (json.loads(result) if result else None)
        assert proposal.result_hash == result_hash
        ballots = await storage.ballots.for_proposal(proposal.id)
        assert sorted((users[b.member_id], b.selection, b.weight, b.receipt) for b in ballots) == [
            (user, json.loads(selection), weight, receipt)
            for n, user, selection, weight, receipt, _ in old["ballots"]
            if n == number
        ]
    if "wallets" in old["features"]:
        active = await storage.wallets.active_in_community(community_id)
        assert [(users[link.member_id], link.address, link.platform) for link in active] == [
            (user, address, "console")  # v005 filled the platform of links made before it
            for user, address, _kind, _at, unlinked_at in old["wallet_links"]
            if unlinked_at is None
        ]
    if "arena" in old["features"]:
        for battle_id, prompt, model_a, model_b, status, result in old["arena_battles"]:
            battle = await storage.arena.get(battle_id)
            assert battle is not None, battle_id
            assert (battle.prompt, battle.model_a, battle.model_b, battle.status) == (
                prompt,
                model_a,
                model_b,
                status,
            )
            assert battle.result == (json.loads(result) if result else None)
            ratings = [
                (users[r.member_id], r.choice) for r in await storage.arena.ratings(battle_id)
            ]
            assert sorted(ratings) == [(u, c) for b, u, c in old["arena_votes"] if b == battle_id]
    if "contributions" in old["features"]:
        rows = [row async for row in storage.contributions.export()]
        assert [
            (
                r["id"],
                r["kind"],
                r["giver_user"],
                r["receiver_user"],
                r["emoji"],
                r["weight"],
                int(r["counted"]),
                r["retracted_at"],
            )
            for r in rows
        ] == [tuple(row) for row in old["contributions"]]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
async def test_fixture_upgrades_with_everything_kept(
    name: str,
    engine: str,
    new_database: NewDatabase,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = expected(name, engine)
    url = restore(name, engine, tmp_path, request)
    storage = await open_storage(url)
    try:
        await _check_kept(storage, old)
        now = await manifest(storage.db, old["features"])
    finally:
        await storage.close()

    # Every row the old code wrote reads back unchanged, and no table lost or gained rows
    # except schema_version, which gained one row per revision applied now.
    for key, value in old.items():
        if key not in ("counts", "schema_versions"):
            assert now[key] == value, key
    assert now["schema_versions"] == list(range(1, LATEST + 1))
    assert {t: n for t, n in now["counts"].items() if t in old["counts"]} == {
        **old["counts"],
        "schema_version": LATEST,
    }
    added = {t: n for t, n in now["counts"].items() if t not in old["counts"]}
    assert added == {"alembic_version": 1} | {t: 0 for t in added if t != "alembic_version"}

    # The schema is exactly today's.
    assert await on_connection(url, metadata_diffs) == []
    assert await on_connection(url, fingerprint) == await create_all_fingerprint(new_database())
    assert (await on_connection(url, state))["alembic_version rows"] == [(HEAD,)]

    # `govbot audit verify` passes: the chain the old code wrote, and every re-tally.
    capsys.readouterr()
    assert await verify_command(load_settings(database_url=url)) == 0
    assert f"audit OK: {len(old['audit'])} entries chained" in capsys.readouterr().out


@pytest.mark.parametrize("name", FIXTURE_NAMES)
async def test_todays_commands_work_on_an_upgraded_database(
    name: str, engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A vote on the proposal the old code left open, and a new wallet link, then verify."""
    url = restore(name, engine, tmp_path, request)
    settings = load_settings(database_url=url, charts_dir=tmp_path / "charts")
    core = await build_core(settings, clock=ManualClock(T0 + 4 * 3600))
    try:
        replies = await run_command(core, "frank", "/vote 2 abstain")
        assert not is_refusal(replies) and "Vote recorded on #2" in replies[0].text
        account = Account.from_key("0x" + "33" * 32)
        issued = await run_command(core, "frank", f"/link {account.address}")
        nonce = await core.storage.nonces.nonce(issued[0].meta["nonce"])
        assert nonce is not None
        signature = account.sign_message(encode_defunct(text=nonce.message)).signature.hex()
        linked = await run_command(core, "frank", f"/verify 0x{signature}")
        assert not is_refusal(linked) and account.address in linked[0].text
    finally:
        await core.close()
    assert await verify_command(settings) == 0


async def test_a_failing_revision_rolls_the_whole_upgrade_back(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """v006 meets a `leases` table someone made by hand: nothing of the upgrade stays."""
    url = restore("v4-496a4e3", engine, tmp_path, request)
    await execute(url, "CREATE TABLE leases (name VARCHAR(10) PRIMARY KEY)")
    before = await on_connection(url, state)
    with pytest.raises(sa.exc.DBAPIError, match="leases"):
        await open_storage(url)
    assert await on_connection(url, state) == before  # no alembic_version, no v005 rows
    columns = await on_connection(
        url, lambda c: [x["name"] for x in sa.inspect(c).get_columns("wallet_links")]
    )
    assert "platform" not in columns


async def test_a_schema_version_with_a_gap_is_refused(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = restore("v1-cad0ee7", engine, tmp_path, request)
    await execute(url, "INSERT INTO schema_version (version, name, applied_at) VALUES (3, 'x', 0)")
    before = await on_connection(url, state)
    with pytest.raises(MigrationError, match="gap"):
        await open_storage(url)
    assert await on_connection(url, state) == before


# ----- whole processes ------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _govbot_run(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`govbot run` as an operator starts it, with the console reading an empty stdin."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=bot_env(url, tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_govbot_run_refuses_a_newer_database_with_exit_2(
    new_database: NewDatabase, engine: str, tmp_path: Path
) -> None:
    url = new_database()
    storage = await open_storage(url)
    await storage.communities.ensure("console:console", "console")
    await storage.close()
    await execute(url, "UPDATE alembic_version SET version_num = 'v999'")
    before = await on_connection(url, state)
    file = Path(url.removeprefix("sqlite:///")) if engine == "sqlite" else None
    digest = _sha256(file) if file else None

    refused = await asyncio.to_thread(_govbot_run, url, tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "newer than this govbot" in refused.stderr and "v999" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert await on_connection(url, state) == before
    if file:
        assert _sha256(file) == digest  # not a byte of the file changed

    # The same start on a database of this version runs (and ends with the empty input).
    await execute(url, f"UPDATE alembic_version SET version_num = '{HEAD}'")
    served = await asyncio.to_thread(_govbot_run, url, tmp_path)
    assert served.returncode == 0, served.stderr


# Imports, says it is ready, waits for the go file, then starts storage as `govbot run` does.
STARTER = """
import asyncio, logging, os, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from storage import open_storage
open(sys.argv[2] + "." + str(os.getpid()), "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.005)
async def start():
    await (await open_storage(sys.argv[1])).close()
asyncio.run(start())
"""


@pytest.mark.parametrize("start", ["empty", "v1-cad0ee7"])
def test_processes_starting_together_apply_each_migration_once(
    postgres_cluster: PgCluster, tmp_path: Path, start: str, request: pytest.FixtureRequest
) -> None:
    if start == "empty":
        url = postgres_cluster.new_database(f"race{os.getpid()}")
        first = 1
    else:
        url = restore(start, "postgres", tmp_path, request)
        first = 2
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, url, str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.*"))) < len(starters):  # all imported, all waiting
        assert time.monotonic() < deadline and all(p.poll() is None for p in starters)
        time.sleep(0.01)
    go.touch()
    logs = [p.communicate(timeout=120)[1] for p in starters]
    assert [p.returncode for p in starters] == [0, 0, 0, 0], logs
    migrated = [line for log in logs for line in log.splitlines() if "schema migrated" in line]
    assert len(migrated) == 1, logs
    assert migrated[0].endswith(f"versions={list(range(first, LATEST + 1))}")
    found = asyncio.run(on_connection(url, state))
    assert found["alembic_version rows"] == [(HEAD,)]
    assert [row[0] for row in found["schema_version rows"]] == list(range(1, LATEST + 1))
