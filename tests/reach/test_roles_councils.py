"""A `council:<name>` role on the console: granted when the council seats the member,
removed by the council job the moment the term ends (not at the next periodic re-check),
and `/roles all` for admins — who holds each role — refused to everyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.audit.verify import verify
from handlers.core.feature import Job
from handlers.core.ports import ManualClock
from tests.conftest import is_refusal, run_command, texts
from tests.councils.helpers import DAY, HOUR, ok, snapshot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

BOARD = "/council create Board seats=1 term=2 method=approval nomination=1 voting=1"


@pytest.fixture
async def council_core(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        roles=[
            {"name": "stewards", "rule": "council:Board"},
            {"name": "newcomers", "rule": "not council:Board"},
        ],
    )
    core = await build_core(settings, clock=clock)
    try:
        yield core
    finally:
        await core.close()


def councils_job(core: Core) -> Job:
    [job] = [j for j in core.jobs() if j.name.startswith("council nominations")]
    return job


async def states(core: Core) -> dict[tuple[str, str], str]:
    names = await core.storage.members.names(
        {s.member_id for s in await core.storage.roles.every()}
    )
    return {(names[s.member_id], s.role): s.state for s in await core.storage.roles.every()}


async def test_a_council_role_ends_with_the_term(council_core: Core, clock: ManualClock) -> None:
    core = council_core
    await ok(core, "admin", BOARD, admin=True)
    await ok(core, "ann", "/stand Board")
    await ok(core, "bob", "/roles")  # bob is a member too: a newcomer
    clock.advance(HOUR + 1)
    await core.run_job(councils_job(core))  # ann alone stood: seated unopposed
    assert (await states(core))[("ann", "stewards")] == "granted"

    shown = await run_command(core, "admin", "/roles all", admin=True)
    assert shown[0].private and shown[0].meta["holders"] == {"stewards": 1, "newcomers": 2}
    assert "stewards\x03 (console): 1 member\n  ann\n" in shown[0].text  # \x03: end of bold
    assert "newcomers\x03 (console): 2 members\n  admin, bob" in shown[0].text

    before = await snapshot(core)
    for line in ("/roles all", "/roles everyone"):
        refused = await run_command(core, "bob", line)
        assert is_refusal(refused), texts(refused)
        assert "Usage: /roles [all]" in refused[0].text
    assert "Only admins can see who holds each role" in texts(
        await run_command(core, "bob", "/roles all")
    )
    assert await snapshot(core) == before

    clock.advance(2 * DAY)  # the term runs out; only the council job runs
    said = texts(await councils_job(core).run(core.deps))
    assert "ann no longer holds the role" in said and "seat on council Board: no" in said
    assert "🎖 ann now holds the role" in said and "newcomers" in said
    assert (await states(core))[("ann", "stewards")] == "revoked"
    report = await verify(core.storage)
    assert report.ok, report.problems
