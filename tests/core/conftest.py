"""Fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings


@pytest.fixture
def clients(database_url, tmp_path) -> Iterator[tuple[TestClient, TestClient]]:
    """(hot, plain): two emulators on one database, with and without the hot routes."""
    hot = create_app(Settings(database_url=database_url, data_dir=tmp_path, hot_routes=True))
    plain = create_app(Settings(database_url=database_url, data_dir=tmp_path, hot_routes=False))
    with TestClient(hot) as hot_client, TestClient(plain) as plain_client:
        yield hot_client, plain_client
