"""`new_database`: empty databases on demand, on the engine the test is parametrised with."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pgcluster import PgCluster

_numbers = itertools.count(1)

NewDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_database(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> NewDatabase:
    """Each call: the URL of another empty database (a file, or a cluster database)."""

    def make() -> str:
        n = next(_numbers)
        if engine == "sqlite":
            return f"sqlite:///{tmp_path}/db{n}.sqlite3"
        cluster: PgCluster = request.getfixturevalue("postgres_cluster")
        return cluster.new_database(f"m{os.getpid()}_{n}")

    return make
