"""Several real emulator processes on one database: SQLite (WAL) and a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.postgres.server import PostgresServer


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    if not server.available:
        reason = "no PostgreSQL server binaries (initdb) on this machine"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
