from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings

YAY = "/yay/voip/number-address"
DOCUMENTED_UUID = "31347d42-00bd-44a5-9b5c-20dc4197a2f6"


def yay_auth(tenant: str) -> dict[str, str]:
    return {"X-Auth-Reseller": tenant, "X-Auth-User": "user", "X-Auth-Password": "secret"}


ADDRESS = {
    "city": "Guildford", "country_code": "GB", "country_personal_id": "N1", "forename": "Pete",
    "is_default": False, "name": "Pete", "nickname": "Work", "postcode": "GU1 4UG", "premises": "22",
    "state": "Surrey", "street": "Station Road", "title": "Mr", "type_id": 1,
}  # fmt: skip


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A client of an emulator built with the given settings, on a SQLite file of its own."""
    clients: list[TestClient] = []

    def make(**settings) -> TestClient:
        database = tmp_path / f"emulator-{len(clients)}.sqlite3"
        client = TestClient(create_app(Settings(database_url=f"sqlite:///{database}", data_dir=tmp_path, **settings)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
