"""Several real emulator processes on one database: SQLite (WAL) and a real PostgreSQL server."""

from __future__ import annotations

import uuid

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/processes/" in item.nodeid:
            item.add_marker(pytest.mark.processes)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
