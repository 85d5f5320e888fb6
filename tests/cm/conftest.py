from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

TOKEN = "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"
AUTH = {"X-CM-PRODUCTTOKEN": TOKEN}
ACCOUNT = "00000000-0000-0000-0000-000000000000"
BASE = f"/cm/voice-phonenumberrequestapi/v1/{ACCOUNT}"
REQUESTS = f"{BASE}/numberrequests"
# Company profiles of the default fixtures.
GB_PROFILE = "2f1e7331-991b-497d-9a32-dd3c2d79c56d"
US_PROFILE = "811283f7-caf1-4155-8422-e918e9ac4221"
START = "2023-06-01T10:00:00Z"


@pytest.fixture
def cm(client: TestClient) -> TestClient:
    """The emulator with its clock frozen at 2023-06-01 10:00 UTC, so times are exact."""
    client.post("/_emulator/clock/freeze")
    client.post("/_emulator/clock/set", json={"now": START})
    return client


def advance(client: TestClient, seconds: float) -> None:
    """Move the clock; whatever comes due (transitions, callback attempts) runs before this returns:
    the emulator applies the transitions and starts the deliveries, this waits for their attempts."""
    response = client.post("/_emulator/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text
    settled = client.post("/_emulator/callbacks/settle")
    assert settled.json()["settled"], settled.text


def create(client: TestClient, **body) -> dict:
    response = client.post(REQUESTS, headers=AUTH, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def get(client: TestClient, request_id: str) -> dict:
    response = client.get(f"{REQUESTS}/{request_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()
