"""Fault injection: each kind, the provider's own error bodies, matching, probability and count."""

from __future__ import annotations

import re

import httpx
import pytest

from emulator.core.faults import Faults
from emulator.providers import load_providers
from emulator.testing import EmulatorServer
from tests.testkit.conftest import ADDRESS, DOCUMENTED_UUID, YAY, yay_auth

PROVIDERS = load_providers()

YAY_500 = """{
   "result" : {},
   "status_code" : 500,
   "status_message" : "Internal Server Error"
}
"""


def add_fault(client, **rule) -> dict:
    response = client.post("/_emulator/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def test_error_is_yays_own_envelope(make_client):
    client = make_client()
    rule = add_fault(client, provider="yay", kind="error", status=500)
    response = client.get(YAY, headers=yay_auth("acme"))
    assert response.status_code == 500
    assert response.text == YAY_500
    assert response.headers["content-type"] == "application/json"
    assert "retry-after" not in response.headers
    [entry] = client.get("/_emulator/requests").json()
    assert (entry["status"], entry["fault_id"], entry["response_body"]) == (500, rule["id"], YAY_500)


def _without_trace_id(body: bytes) -> bytes:
    """The body with a per-request trace id (CM.com's ASP.NET problem details carry one) masked."""
    return re.sub(rb'"traceId":"[^"]*"', b'"traceId":"*"', body)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@pytest.mark.parametrize("status", [500, 503, 429, 404])
def test_every_provider_answers_a_fault_with_its_own_error_body(make_client, provider, status):
    client = make_client()
    add_fault(client, provider=provider.name, kind="error", status=status)
    response = client.post(f"{provider.prefix}/any/path", content=b"{}")
    expected = provider.errors.status(status)
    assert response.status_code == status
    assert _without_trace_id(response.content) == _without_trace_id(expected.body)
    assert response.headers["content-type"] == expected.headers["content-type"]
    if status == 429:
        assert response.headers["retry-after"] == expected.headers.get("retry-after", "1")


def test_retry_after_is_settable(make_client):
    client = make_client()
    add_fault(client, kind="error", status=503, retry_after=30)
    assert client.get(YAY, headers=yay_auth("acme")).headers["retry-after"] == "30"


def test_fail_the_next_two_then_succeed(make_client):
    client = make_client()
    rule = add_fault(client, provider="yay", method="GET", kind="error", status=500, count=2)
    statuses = [client.get(YAY, headers=yay_auth("acme")).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    listed = client.get(f"/_emulator/faults/{rule['id']}").json()
    assert (listed["fired"], listed["remaining"]) == (2, 0)


def test_method_path_and_provider_must_all_match(make_client):
    client = make_client()
    add_fault(client, provider="yay", method="DELETE", path="/voip/number-address/*", kind="error", status=500)
    assert client.get(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("acme")).status_code == 200
    assert client.delete(YAY, headers=yay_auth("acme")).status_code == 405
    assert client.delete(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("acme")).status_code == 500


def test_tenant_rule_hits_only_that_tenant_and_changes_no_state(make_client):
    client = make_client()
    add_fault(client, tenant="unlucky", kind="error", status=500)
    assert client.post(YAY, headers=yay_auth("unlucky"), json=ADDRESS).status_code == 500
    assert client.post(YAY, headers=yay_auth("lucky"), json=ADDRESS).status_code == 201
    client.delete("/_emulator/faults")
    # The failed create never reached the provider's logic: the fixtures' five addresses only.
    assert len(client.get(YAY, headers=yay_auth("unlucky")).json()["result"]) == 5
    assert len(client.get(YAY, headers=yay_auth("lucky")).json()["result"]) == 6


def test_tenant_rule_ignores_requests_that_never_authenticate(make_client):
    client = make_client()
    add_fault(client, tenant="unlucky", kind="error", status=503)
    assert client.get(YAY).status_code == 401


def test_latency_delays_the_answer(make_client):
    client = make_client()
    add_fault(client, kind="latency", latency_ms=150)
    add_fault(client, tenant="slow", kind="latency", latency_ms=150)
    assert client.get(YAY, headers=yay_auth("acme")).status_code == 200
    client.delete("/_emulator/faults/1")
    assert client.get(YAY, headers=yay_auth("slow")).status_code == 200
    durations = [entry["duration_ms"] for entry in client.get("/_emulator/requests").json()]
    assert all(duration >= 150 for duration in durations), durations


def test_latency_can_precede_an_error(make_client):
    client = make_client()
    add_fault(client, kind="error", status=502, latency_ms=100)
    assert client.get(YAY, headers=yay_auth("acme")).status_code == 502
    assert client.get("/_emulator/requests").json()[0]["duration_ms"] >= 100


def test_probability_is_reproducible_under_a_seed(make_client):
    def pattern():
        client = make_client()
        add_fault(client, kind="error", status=500, probability=0.5, seed=42)
        return [client.get(YAY, headers=yay_auth("acme")).status_code for _ in range(30)]

    first = pattern()
    assert first == pattern()
    assert 500 in first and 200 in first


def test_global_seed_makes_random_latency_and_probability_reproducible():
    def decisions(seed):
        faults = Faults(default_seed=seed)
        rule = faults.add(kind="latency", latency_ms=10, jitter_ms=500, probability=0.7)
        return [faults.decide([rule]) for _ in range(20)]

    assert decisions(7) == decisions(7)
    assert decisions(7) != decisions(8)
    fired = [fault for fault in decisions(7) if fault is not None]
    assert 0 < len(fired) < 20
    assert all(0.01 <= fault.delay_seconds <= 0.51 for fault in fired)


def test_rules_are_listed_removed_and_reset(make_client):
    client = make_client()
    first = add_fault(client, kind="drop", provider="yay")
    second = add_fault(client, kind="error", tenant="acme")
    assert [rule["id"] for rule in client.get("/_emulator/faults").json()] == [first["id"], second["id"]]
    assert client.delete(f"/_emulator/faults/{first['id']}").json()["kind"] == "drop"
    assert client.delete(f"/_emulator/faults/{first['id']}").status_code == 404
    assert client.get(f"/_emulator/faults/{first['id']}").status_code == 404
    client.post("/_emulator/reset", params={"tenant": "other"})
    assert len(client.get("/_emulator/faults").json()) == 1
    client.post("/_emulator/reset", params={"tenant": "acme"})
    assert client.get("/_emulator/faults").json() == []
    add_fault(client, kind="error")
    client.post("/_emulator/reset")
    assert client.get("/_emulator/faults").json() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "explode"},
        {"kind": "error", "provider": "nobody"},
        {"kind": "error", "status": 200},
        {"kind": "error", "probability": 1.5},
        {"kind": "error", "method": "get"},
        {"kind": "error", "count": 0},
        {"kind": "error", "unknown": 1},
        {},
    ],
)
def test_bad_rules_are_refused(make_client, rule):
    client = make_client()
    assert client.post("/_emulator/faults", json=rule).status_code == 422
    assert client.get("/_emulator/faults").json() == []


@pytest.fixture(scope="module")
def live():
    with EmulatorServer() as server:
        yield server


@pytest.mark.parametrize("tenant_rule", [False, True], ids=["at-the-door", "tenant"])
def test_drop_closes_the_connection_without_an_answer(live, tenant_rule):
    """Over real HTTP: the client sees a transport error, not a 500."""
    tenant = live.new_tenant()
    if tenant_rule:
        tenant.add_fault("yay", kind="drop", count=1)
    else:
        live.add_fault(provider="yay", path="/voip/*", kind="drop", count=1)
    url, headers = tenant.base_url("yay") + "/voip/number-address", tenant.credentials("yay")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.post(url, headers=headers, json=ADDRESS)
    assert httpx.get(url, headers=headers).status_code == 200
    dropped = live.requests(provider="yay", method="POST", status=None)
    assert dropped[-1]["status"] is None and dropped[-1]["request_body"]
    # The dropped create did not happen.
    assert len(httpx.get(url, headers=headers).json()["result"]) == 5
    live.clear_faults()
