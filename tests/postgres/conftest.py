"""Run provider test modules against a real PostgreSQL server: each test module here imports a
provider's tests unchanged; ``database_url`` is overridden with a fresh schema per test."""

from __future__ import annotations

import uuid

import pytest

from tests.postgres.server import PostgresServer


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
