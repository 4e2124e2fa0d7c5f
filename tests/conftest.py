"""Shared fixtures: both database engines, a built core, and neutral-event helpers.

The harness fixtures (tests/harness/fixtures.py: `restore_logging`, `tg_fake`, `tg`,
`dc`) are registered here for the whole suite.

`database_url` runs a test once on SQLite and once on PostgreSQL. The PostgreSQL
cluster is a throwaway one started from Debian's server binaries; outside CI a machine
without them skips those runs with a visible reason, in CI (CI=true) it fails instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Core
from bot.settings import PLAIN_ENV
from handlers.core.ports import ManualClock
from handlers.core.types import Actor, Command, Event, Press, Reply, Where
from tests.harness.core import core_env
from tests.pgcluster import PgCluster, find_pg_bin, start_cluster

pytest_plugins = ("tests.harness.fixtures",)

_db_numbers = itertools.count(1)

READING_FLOOR_ENV = "GOVBOT_ARENA__READING_CHARS_PER_SECOND"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's GOVBOT_* or platform variables."""
    for name in list(os.environ):
        if name.startswith("GOVBOT_") or name in PLAIN_ENV:
            monkeypatch.delenv(name, raising=False)
    # Votes need a linked wallet by default; tests of other features vote without one
    # (a test opts in with load_settings(voting={"require_wallet": True})).
    monkeypatch.setenv("GOVBOT_VOTING__REQUIRE_WALLET", "false")
    # Arena ratings under the reading-time floor do not count by default; tests press
    # at one ManualClock instant, so the floor is off unless a test turns it on (the
    # hygiene tests set reading_chars_per_second on the policy).
    monkeypatch.setenv(READING_FLOOR_ENV, "0")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PgCluster]:
    if find_pg_bin() is None:
        reason = "PostgreSQL server binaries not found (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(reason)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/govbot.db"
    cluster: PgCluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database(f"t{os.getpid()}_{next(_db_numbers)}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
async def core(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    async with core_env(tmp_path, database_url=database_url, clock=clock) as built:
        yield built


WHERE = Where("console", "console", "main")


def actor(name: str, *, admin: bool = False) -> Actor:
    return Actor("console", name, name, is_admin=admin)


async def run_command(
    core: Core, user: str, line: str, *, admin: bool = False, where: Where = WHERE
) -> list[Reply]:
    """Send `/name args` as `user` through the dispatcher; returns the replies."""
    name, _, rest = line.lstrip("/").partition(" ")
    return await core.dispatch(Event(actor(user, admin=admin), where, Command(name, rest.strip())))


async def press(core: Core, user: str, action: str, *args: str) -> list[Reply]:
    return await core.dispatch(Event(actor(user), WHERE, Press(action, args)))


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def is_refusal(replies: list[Reply]) -> bool:
    return len(replies) == 1 and "error" in replies[0].meta
