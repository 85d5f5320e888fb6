"""Run provider test modules against a real PostgreSQL server: each test module here imports a
provider's tests unchanged; ``database_url`` is overridden with a fresh schema per test."""

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


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
