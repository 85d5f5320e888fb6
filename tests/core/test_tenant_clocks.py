"""A clock per tenant: moving one tenant's time moves nothing else (not the shared clock, not another
tenant's), and everything the tenant sees follows its own clock: timestamps, token expiry, order
life cycles and their callbacks."""

from __future__ import annotations

import pytest

from emulator.core.tenancy import masked_name as mask
from tests.cloudlx.helpers import ACCEPT as CLOUDLX_ACCEPT
from tests.cloudlx.helpers import BASE as CLOUDLX
from tests.cloudlx.helpers import token as cloudlx_token

START = "2023-06-01T10:00:00Z"
CM_ORDERS = "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
TOKEN_A = "0a0a0a0a-0000-4000-8000-00000000000a"
TOKEN_B = "0b0b0b0b-0000-4000-8000-00000000000b"


@pytest.fixture
def frozen(client):
    """The shared clock frozen at START, so every time below is exact."""
    client.post("/_emulator/clock/freeze")
    client.post("/_emulator/clock/set", json={"now": START})
    return client


def clock(client, provider: str | None = None, tenant: str | None = None) -> dict:
    params = {"provider": provider, "tenant": tenant} if tenant else {}
    response = client.get("/_emulator/clock", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def move(client, action: str, provider: str, tenant: str, **body) -> dict:
    response = client.post(
        f"/_emulator/clock/{action}", params={"provider": provider, "tenant": tenant}, json=body or None
    )
    assert response.status_code == 200, response.text
    if action in ("advance", "set"):  # the clock only starts deliveries: wait for their attempts
        settled = client.post("/_emulator/callbacks/settle", params={"provider": provider, "tenant": tenant})
        assert settled.json()["settled"], settled.text
    return response.json()


def test_a_tenants_clock_moves_alone(frozen):
    moved = move(frozen, "advance", "cm", TOKEN_A, seconds=3600)
    assert moved == {"now": "2023-06-01T11:00:00Z", "frozen": True, "provider": "cm", "tenant": TOKEN_A, "own": True}
    assert clock(frozen) == {"now": START, "frozen": True}  # the shared clock, as it always answered
    assert clock(frozen, "cm", TOKEN_B) == {
        "now": START,
        "frozen": True,
        "provider": "cm",
        "tenant": TOKEN_B,
        "own": False,
    }
    # The same name under another provider is another tenant.
    assert clock(frozen, "yay", TOKEN_A)["now"] == START
    listed = frozen.get("/_emulator/clock/tenants").json()
    # A CM.com tenant is its product token: listed masked.
    assert [(c["provider"], c["tenant"], c["now"]) for c in listed] == [("cm", mask(TOKEN_A), "2023-06-01T11:00:00Z")]


def test_an_own_clock_rides_on_the_shared_one_until_frozen_itself(frozen):
    move(frozen, "advance", "yay", "a", seconds=60)
    frozen.post("/_emulator/clock/advance", json={"seconds": 600})
    assert clock(frozen, "yay", "a")["now"] == "2023-06-01T10:11:00Z"  # shared + its own minute

    move(frozen, "freeze", "yay", "a")
    frozen.post("/_emulator/clock/advance", json={"seconds": 600})
    assert clock(frozen, "yay", "a")["now"] == "2023-06-01T10:11:00Z"  # its own instant now
    assert move(frozen, "set", "yay", "a", now="2030-01-01T00:00:00Z")["now"] == "2030-01-01T00:00:00Z"

    move(frozen, "resume", "yay", "a")
    frozen.post("/_emulator/clock/advance", json={"seconds": 60})
    assert clock(frozen, "yay", "a")["now"] == "2030-01-01T00:01:00Z"

    reset = move(frozen, "reset", "yay", "a")
    assert (reset["now"], reset["own"]) == (clock(frozen)["now"], False)
    assert frozen.get("/_emulator/clock/tenants").json() == []


def test_a_running_tenant_clock_keeps_running(client):
    """Unfrozen, a tenant's clock is the shared clock plus its offset, so real time moves it."""
    client.post("/_emulator/clock/reset")
    moved = move(client, "set", "yay", "a", now="2040-01-01T00:00:00Z")
    assert moved["frozen"] is False and moved["now"].startswith("2040-01-01T00:00:0")
    assert clock(client)["now"][:4] != "2040"


def test_half_a_clock_key_or_an_unknown_provider_names_no_clock(client):
    assert client.get("/_emulator/clock", params={"provider": "cm"}).status_code == 404
    assert client.post("/_emulator/clock/freeze", params={"tenant": "a"}).status_code == 404
    unknown = client.get("/_emulator/clock", params={"provider": "nope", "tenant": "a"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    assert client.get("/_emulator/clock/tenants").json() == []


def test_a_reset_tenant_follows_the_shared_clock_again(frozen):
    move(frozen, "advance", "cm", TOKEN_A, seconds=3600)
    move(frozen, "advance", "cm", TOKEN_B, seconds=60)
    assert frozen.post("/_emulator/reset", params={"provider": "cm", "tenant": TOKEN_A}).status_code == 200
    assert clock(frozen, "cm", TOKEN_A)["own"] is False
    assert clock(frozen, "cm", TOKEN_B)["now"] == "2023-06-01T10:01:00Z"


def order(client, token: str, callback_url: str) -> dict:
    response = client.post(
        CM_ORDERS,
        headers={"X-CM-PRODUCTTOKEN": token},
        json={"quantity": 50, "areaCode": "0113", "callbackUrl": callback_url},
    )
    assert response.status_code == 200, response.text
    return response.json()


def status(client, token: str, request_id: str) -> dict:
    return client.get(f"{CM_ORDERS}/{request_id}", headers={"X-CM-PRODUCTTOKEN": token}).json()


def test_orders_and_their_callbacks_follow_their_tenants_clock(frozen, callback_receiver):
    mine = order(frozen, TOKEN_A, callback_receiver.url)
    theirs = order(frozen, TOKEN_B, callback_receiver.url)

    move(frozen, "advance", "cm", TOKEN_A, seconds=360)  # accepted after 60 s, completed 300 s later

    completed = status(frozen, TOKEN_A, mine["requestId"])
    assert completed["status"] == "Completed" and completed["updatedOn"] == "2023-06-01T10:06:00Z"
    assert [body["status"] for body in callback_receiver.received_json()] == ["Accepted", "Completed"]
    assert {body["requestId"] for body in callback_receiver.received_json()} == {mine["requestId"]}
    assert status(frozen, TOKEN_B, theirs["requestId"])["status"] == "Pending"
    assert clock(frozen)["now"] == START

    frozen.post("/_emulator/clock/advance", json={"seconds": 60})  # the shared clock: B's order moves
    assert status(frozen, TOKEN_B, theirs["requestId"])["status"] == "Accepted"
    assert status(frozen, TOKEN_A, mine["requestId"])["updatedOn"] == "2023-06-01T10:06:00Z"


def test_the_journal_times_a_request_on_its_tenants_clock(frozen):
    move(frozen, "set", "cm", TOKEN_A, now="2031-05-05T05:05:05Z")
    frozen.get(CM_ORDERS, headers={"X-CM-PRODUCTTOKEN": TOKEN_A})
    frozen.get(CM_ORDERS, headers={"X-CM-PRODUCTTOKEN": TOKEN_B})
    entries = frozen.get("/_emulator/requests", params={"provider": "cm"}).json()
    times = {entry["tenant"]: entry["time"][:19] for entry in entries}
    assert sorted(times.values()) == ["2023-06-01T10:00:00", "2031-05-05T05:05:05"]
    mine = frozen.get("/_emulator/requests", params={"provider": "cm", "tenant": TOKEN_A}).json()
    assert [entry["time"][:19] for entry in mine] == ["2031-05-05T05:05:05"]


def test_a_token_expires_on_its_tenants_clock_only(frozen):
    def numbers(access_token: str) -> int:
        headers = {**CLOUDLX_ACCEPT, "Authorization": f"Bearer {access_token}"}
        return frozen.get(f"{CLOUDLX}/numbers", headers=headers).status_code

    mine, theirs = cloudlx_token(frozen, "tenant-a"), cloudlx_token(frozen, "tenant-b")
    move(frozen, "advance", "cloudlx", "tenant-a", seconds=3600)  # a token lives an hour
    assert numbers(mine) == 401
    assert numbers(theirs) == 200


def test_own_clocks_travel_in_state_documents(frozen):
    move(frozen, "advance", "cm", TOKEN_A, seconds=90)
    whole = frozen.get("/_emulator/state").json()
    one = frozen.get("/_emulator/state", params={"tenant": TOKEN_A}).json()
    assert [row["tenant"] for row in whole["tables"]["emulator_tenant_clock"]] == [TOKEN_A]
    assert one["tables"]["emulator_tenant_clock"] == whole["tables"]["emulator_tenant_clock"]

    move(frozen, "reset", "cm", TOKEN_A)
    assert frozen.put("/_emulator/state", json=whole).status_code == 200
    assert clock(frozen, "cm", TOKEN_A)["now"] == "2023-06-01T10:01:30Z"
    assert frozen.get("/_emulator/state").json() == whole
