"""The Alembic revisions: they build today's schema, and a newer database is refused.

Run on SQLite and on PostgreSQL (`engine`). Upgrades of databases written by earlier
commits are in test_upgrades.py.
"""

from __future__ import annotations

import ast
import asyncio
import shutil
import textwrap
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage import open_storage
from storage.migrations import (
    HEAD,
    LATEST,
    REVISIONS,
    SCRIPT_LOCATION,
    MigrationError,
    SchemaNewerThanCode,
    revision_chain,
)
from storage.migrations.__main__ import new_revision
from tests.storage.conftest import NewDatabase
from tests.storage.schemacheck import (
    create_all_fingerprint,
    execute,
    fingerprint,
    metadata_diffs,
    on_connection,
    state,
)

VERSIONS = SCRIPT_LOCATION / "versions"


async def test_revisions_from_empty_build_todays_schema(new_database: NewDatabase) -> None:
    url = new_database()
    opened = await open_storage(url)
    await opened.close()
    assert await on_connection(url, metadata_diffs) == []
    assert await on_connection(url, fingerprint) == await create_all_fingerprint(new_database())
    found = await on_connection(url, state)
    assert found["alembic_version rows"] == [(HEAD,)]
    versions = [(v, name) for v, name, _ in found["schema_version rows"]]
    assert versions == [
        (1, "baseline: communities, members, proposals, ballots, audit log, cards"),
        (2, "wallets: wallet links, link nonces, delegations"),
        (3, "arena: imported pairs, battles, ratings"),
        (4, "contributions: ledger, daily caps, seeds, reputation snapshots"),
        (5, "crossplatform: wallet links per platform"),
        (6, "leases: one process at a time per background job"),
        (7, "contributions: index by receiver"),
        (8, "elections: proposal options"),
        (9, "reach: reminders"),
        (10, "deliveries: handled platform events by key"),
        (11, "rewards: epochs, allocations, acknowledgements"),
        (12, "councils: councils, elections, candidacies, seats, motions, notices"),
        (13, "summaries: thread messages, forum topics, last summary per proposal"),
        (14, "roles: what the bot last did about each member and role"),
        (15, "disputes: disputes, jurors, voided credits"),
        (16, "arena fair: style counts, categories, gold pairs, identity leaks"),
    ]


async def test_the_schema_checks_see_a_difference(new_database: NewDatabase) -> None:
    """Guards the two checks above: each notices a schema that is not today's."""
    url = new_database()
    await (await open_storage(url)).close()
    reference = await on_connection(url, fingerprint)
    await execute(
        url,
        "DROP INDEX uq_wallet_links_active_member",
        "CREATE UNIQUE INDEX uq_wallet_links_active_member ON wallet_links (member_id) "
        "WHERE unlinked_at IS NOT NULL",
    )
    changed = await on_connection(url, fingerprint)
    assert changed != reference
    assert changed["wallet_links"]["indexes"] != reference["wallet_links"]["indexes"]
    await execute(url, "ALTER TABLE leases ADD COLUMN note VARCHAR(10)")
    diffs = await on_connection(url, metadata_diffs)
    assert [d[0] for d in diffs] == ["remove_column"] and diffs[0][3].name == "note"


def test_revisions_write_their_ddl_out() -> None:
    """A revision imports only Alembic and SQLAlchemy: never today's `storage.schema*`."""
    files = sorted(p for p in VERSIONS.glob("v*.py"))
    assert [p.name[:4] for p in files] == REVISIONS
    for path in files:
        tree = ast.parse(path.read_text())
        imported = {
            alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
        }
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert {m.split(".")[0] for m in imported} <= {"__future__", "alembic", "sqlalchemy"}, path


def _revision(directory: Path, rev: str, down: str | None) -> None:
    (directory / f"{rev}_x.py").write_text(
        textwrap.dedent(f'''\
            """{rev}"""
            revision = {rev!r}
            down_revision = {down!r}
            def upgrade() -> None: ...
            ''')
    )


@pytest.mark.parametrize(
    "revisions",
    [
        [("v001", None), ("v003", "v001")],  # a gap in the numbers
        [("v001", None), ("v002", "v001"), ("v003", "v001")],  # a branch
        [("v001", None), ("a1b2c3", "v001")],  # not vNNN
    ],
)
def test_revisions_must_be_one_numbered_chain(
    tmp_path: Path, revisions: list[tuple[str, str | None]]
) -> None:
    (tmp_path / "versions").mkdir()
    for rev, down in revisions:
        _revision(tmp_path / "versions", rev, down)
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    with pytest.raises(MigrationError, match="one chain"):
        revision_chain(ScriptDirectory.from_config(config))


def test_the_shipped_chain_is_v001_to_latest() -> None:
    assert [f"v{n:03d}" for n in range(1, LATEST + 1)] == REVISIONS and REVISIONS[-1] == HEAD


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("UPDATE alembic_version SET version_num = 'v999'", "at revision v999"),
        (
            f"INSERT INTO schema_version (version, name, applied_at) "
            f"VALUES ({LATEST + 1}, 'from a newer release', 0)",
            f"at version {LATEST + 1}",
        ),
    ],
)
async def test_a_newer_database_is_refused_and_left_alone(
    new_database: NewDatabase, change: str, named: str
) -> None:
    url = new_database()
    opened = await open_storage(url)
    await opened.communities.ensure("console:console", "console")
    await opened.close()
    await execute(url, change)
    before = await on_connection(url, state)
    with pytest.raises(SchemaNewerThanCode, match=named) as refused:
        await open_storage(url)
    assert "newer than this govbot" in str(refused.value) and HEAD in str(refused.value)
    assert await on_connection(url, state) == before


async def test_every_start_after_the_first_changes_nothing(new_database: NewDatabase) -> None:
    url = new_database()
    await (await open_storage(url)).close()
    before = await on_connection(url, state)
    await (await open_storage(url)).close()
    assert await on_connection(url, state) == before
    assert len(before["schema_version rows"]) == LATEST


def test_new_revision_continues_the_chain(tmp_path: Path) -> None:
    """`python -m storage.migrations new` writes vNNN+1 on top of the newest revision."""
    location = tmp_path / "migrations"
    shutil.copytree(SCRIPT_LOCATION, location, ignore=shutil.ignore_patterns("__pycache__"))
    config = Config()
    config.set_main_option("script_location", str(location))
    path = new_revision("proposals: tags", config)
    following = f"v{LATEST + 1:03d}"
    assert path.name == f"{following}_proposals_tags.py"
    assert revision_chain(ScriptDirectory.from_config(config)) == [*REVISIONS, following]
    text = path.read_text()
    assert f'revision = "{following}"' in text and f'down_revision = "{HEAD}"' in text
    assert "never import storage.schema" in text


async def test_two_databases_migrate_at_once_in_one_process(new_database: NewDatabase) -> None:
    """Alembic's running migration is process-global: concurrent ones must not mix."""
    urls = [new_database(), new_database()]
    opened = await asyncio.gather(*(open_storage(url) for url in urls))
    for storage in opened:
        await storage.close()
    for url in urls:
        assert await on_connection(url, metadata_diffs) == []
        assert (await on_connection(url, state))["alembic_version rows"] == [(HEAD,)]
