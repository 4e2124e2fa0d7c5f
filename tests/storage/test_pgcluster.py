"""The throwaway-cluster helper itself: it starts, serves two databases, and stops cleanly.

Sync on purpose: ``start_cluster()`` blocks, so the asyncpg checks run in
their own ``asyncio.run``.
"""

import asyncio
import os
import socket

import asyncpg
import pytest

from tests.pgcluster import find_pg_bin, start_cluster

pytestmark = pytest.mark.postgres


async def _select_one(url: str) -> tuple[int, str]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return await conn.fetchval("select 1"), await conn.fetchval("select current_database()")
    finally:
        await conn.close()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_cluster_starts_serves_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    if find_pg_bin() is None:
        msg = "PostgreSQL binaries not found (set GOVBOT_PG_BIN or install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(f"PostgreSQL not installed: {msg}")

    cluster = start_cluster()
    try:
        with capsys.disabled():
            print(f"\n[pgcluster] started in {cluster.started_in:.2f}s at {cluster.url}")
        assert cluster.url.endswith("/govbot_test")
        assert asyncio.run(_select_one(cluster.url)) == (1, "govbot_test")

        other = cluster.new_database("govbot_other")
        assert asyncio.run(_select_one(other)) == (1, "govbot_other")
        assert _port_open(cluster.port)
    finally:
        cluster.stop()

    assert not _port_open(cluster.port)
    assert not cluster.tmp_dir.exists()
    cluster.stop()  # idempotent
