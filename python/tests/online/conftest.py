"""Fixtures of the online tests: every store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportability.testing import PostgresServer

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (initdb takes about a second); each test gets a database."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty online store, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/online.db"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"test_{next(_names)}")
