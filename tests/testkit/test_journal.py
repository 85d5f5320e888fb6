"""The request journal: what is recorded, its bounds, its filters, count and clearing."""

from __future__ import annotations

from tests.testkit.conftest import ADDRESS, DOCUMENTED_UUID, YAY, yay_auth


def test_records_a_provider_request_with_its_answer(make_client):
    client = make_client()
    sent = client.post(YAY, headers=yay_auth("acme"), json=ADDRESS)
    [entry] = client.get("/_emulator/requests").json()
    assert entry["provider"] == "yay" and entry["tenant"] == "acme"
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/voip/number-address", "")
    # Headers as sent, but credential values masked: anyone reaching the control plane reads them.
    assert entry["request_headers"]["x-auth-password"] == "***"
    assert entry["request_headers"]["x-auth-reseller"] == "acme"
    assert entry["request_body"] == sent.request.content.decode()
    assert entry["status"] == 201
    assert entry["response_body"] == sent.text
    assert entry["response_headers"]["content-type"] == "application/json"
    assert entry["duration_ms"] > 0 and entry["fault_id"] is None
    assert entry["request_body_truncated"] is False and entry["response_body_truncated"] is False


def test_control_plane_and_documentation_are_not_recorded(make_client):
    client = make_client()
    client.get("/_emulator/health")
    client.get("/yay/openapi.json")
    client.get("/yay/docs")
    client.get("/")
    assert client.get("/_emulator/requests").json() == []


def test_unauthenticated_and_unknown_paths_are_recorded_without_tenant(make_client):
    client = make_client()
    client.get(YAY)
    client.get("/yay/nowhere", headers=yay_auth("acme"))
    entries = client.get("/_emulator/requests").json()
    assert [(e["path"], e["status"], e["tenant"]) for e in entries] == [
        ("/voip/number-address", 401, None),
        ("/nowhere", 404, None),
    ]


def test_journal_is_bounded_oldest_dropped_first(make_client):
    client = make_client(journal_size=3)
    for number in range(5):
        client.get(f"{YAY}/missing-{number}", headers=yay_auth("acme"))
    entries = client.get("/_emulator/requests").json()
    assert [e["path"] for e in entries] == [f"/voip/number-address/missing-{n}" for n in (2, 3, 4)]
    assert [e["id"] for e in entries] == [3, 4, 5]


def test_recorded_bodies_are_cut_at_the_limit(make_client):
    client = make_client(journal_body_bytes=40)
    client.post(YAY, headers=yay_auth("acme"), json=ADDRESS)
    [entry] = client.get("/_emulator/requests").json()
    assert len(entry["request_body"]) == 40 and entry["request_body_truncated"] is True
    assert len(entry["response_body"]) == 40 and entry["response_body_truncated"] is True


def test_journal_size_zero_records_nothing(make_client):
    client = make_client(journal_size=0)
    assert client.get(YAY, headers=yay_auth("acme")).status_code == 200
    assert client.get("/_emulator/requests").json() == []


def _traffic(client):
    client.get(YAY, headers=yay_auth("alpha"))
    client.get(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("alpha"))
    client.delete(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("beta"))
    client.get(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("beta"))


def test_filters_and_count(make_client):
    client = make_client()
    _traffic(client)

    def paths(**params):
        found = client.get("/_emulator/requests", params=params).json()
        assert client.get("/_emulator/requests/count", params=params).json() == {"count": len(found)}
        return [(e["tenant"], e["method"], e["status"]) for e in found]

    assert paths(tenant="alpha") == [("alpha", "GET", 200), ("alpha", "GET", 200)]
    assert paths(method="delete") == [("beta", "DELETE", 200)]
    assert paths(path="/voip/number-address/*", tenant="beta") == [("beta", "DELETE", 200), ("beta", "GET", 404)]
    assert paths(path="/voip/number-address") == [("alpha", "GET", 200)]
    assert paths(status=404) == [("beta", "GET", 404)]
    assert paths(provider="yay", tenant="gamma") == []
    assert len(paths(provider="yay")) == 4
    latest = client.get("/_emulator/requests", params={"limit": 1}).json()
    assert [(e["tenant"], e["method"], e["status"]) for e in latest] == [("beta", "GET", 404)]


def test_time_filter_follows_the_virtual_clock(make_client):
    client = make_client()
    client.post("/_emulator/clock/set", json={"now": "2030-01-01T00:00:00Z"})
    client.get(YAY, headers=yay_auth("alpha"))
    client.post("/_emulator/clock/advance", json={"seconds": 3600})
    client.get(YAY, headers=yay_auth("beta"))

    def tenants(**params):
        return [e["tenant"] for e in client.get("/_emulator/requests", params=params).json()]

    assert tenants(since="2030-01-01T00:30:00Z") == ["beta"]
    assert tenants(until="2030-01-01T00:30:00") == ["alpha"]
    assert tenants(since="2030-01-01T00:00:00Z", until="2030-01-01T02:00:00+00:00") == ["alpha", "beta"]


def test_clear_all_or_matching(make_client):
    client = make_client()
    _traffic(client)
    assert client.delete("/_emulator/requests", params={"tenant": "alpha"}).json() == {"cleared": 2}
    assert [e["tenant"] for e in client.get("/_emulator/requests").json()] == ["beta", "beta"]
    assert client.delete("/_emulator/requests").json() == {"cleared": 2}
    assert client.get("/_emulator/requests/count").json() == {"count": 0}


def test_reset_of_a_tenant_clears_its_entries_only(make_client):
    client = make_client()
    _traffic(client)
    client.post("/_emulator/reset", params={"tenant": "beta"})
    assert {e["tenant"] for e in client.get("/_emulator/requests").json()} == {"alpha"}
    client.post("/_emulator/reset")
    assert client.get("/_emulator/requests").json() == []
