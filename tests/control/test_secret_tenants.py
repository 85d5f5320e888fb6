"""A tenant whose name is its credential (CM.com's product token) is never shown whole on the
control plane; a test still finds it by the token, the inspector by the masked name it was shown."""

from __future__ import annotations

from tests.cm.conftest import AUTH, REQUESTS, TOKEN, advance

MASKED = "8d6b***7a11"
YAY = {"X-Auth-Reseller": "acme", "X-Auth-User": "u", "X-Auth-Password": "p"}


def _order(client) -> None:
    """An order large enough to wait for acceptance, accepted: one callback delivery."""
    response = client.post(
        REQUESTS, headers=AUTH, json={"quantity": 20, "areaCode": "020", "callbackUrl": "http://127.0.0.1:9/x"}
    )
    assert response.status_code == 200, response.text
    advance(client, 61)


def test_listings_show_the_product_token_masked_and_other_tenants_as_they_are(client):
    _order(client)
    client.get("/yay/voip/number-address", headers=YAY)
    client.post("/_emulator/faults", json={"provider": "cm", "tenant": TOKEN, "kind": "latency"})
    tenants = {(t["provider"], t["tenant"]) for t in client.get("/_emulator/tenants").json()}
    assert tenants == {("cm", MASKED), ("yay", "acme")}
    [entry] = client.get("/_emulator/requests", params={"provider": "cm"}).json()
    assert entry["tenant"] == MASKED
    assert entry["request_headers"]["x-cm-producttoken"] == MASKED
    [delivery] = client.get("/_emulator/callbacks").json()
    assert delivery["tenant"] == MASKED
    [rule] = client.get("/_emulator/faults").json()
    assert rule["tenant"] == MASKED
    everything = " ".join(
        client.get(path).text
        for path in ("/_emulator/tenants", "/_emulator/requests", "/_emulator/callbacks", "/_emulator/faults")
    )
    assert TOKEN not in everything


def test_filters_take_the_token_or_the_masked_name(client):
    _order(client)
    for name in (TOKEN, MASKED):
        assert client.get("/_emulator/requests/count", params={"tenant": name}).json() == {"count": 1}
        assert len(client.get("/_emulator/callbacks", params={"tenant": name}).json()) == 1
        assert client.get("/_emulator/state", params={"tenant": name}).json()["tenant"] == TOKEN
    assert client.post("/_emulator/reset", params={"tenant": MASKED}).json() == {"tenants_reset": 1}
    assert client.get("/_emulator/tenants").json() == []


def test_tenant_clocks_are_listed_masked_and_answer_as_they_were_named(client):
    _order(client)
    for name in (TOKEN, MASKED):
        moved = client.post("/_emulator/clock/advance", params={"provider": "cm", "tenant": name}, json={"seconds": 1})
        assert moved.json()["tenant"] == name
    [own] = client.get("/_emulator/clock/tenants").json()
    assert (own["provider"], own["tenant"]) == ("cm", MASKED)


def test_support_actions_take_the_token_or_the_masked_name(client):
    """The inspector knows a CM tenant only by the masked name it was shown."""
    made = [
        client.post(REQUESTS, headers=AUTH, json={"quantity": 20, "areaCode": "020"}).json()["requestId"]
        for _ in range(2)
    ]
    for name, request_id in zip((TOKEN, MASKED), made, strict=True):
        accepted = client.post(f"/_emulator/cm/numberrequests/{request_id}/accept", params={"tenant": name})
        assert (accepted.status_code, accepted.json()["status"]) == (200, "Accepted")
    unknown = client.post(f"/_emulator/cm/numberrequests/{made[0]}/complete", params={"tenant": "0000***0000"})
    assert unknown.status_code == 404
