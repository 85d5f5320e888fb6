"""A request for a provider's real API host reaches that provider without the prefix."""

from __future__ import annotations

import json

import pytest

from tests.testkit.conftest import DOCUMENTED_UUID, yay_auth

REAL_PATH = f"/voip/number-address/{DOCUMENTED_UUID}"


@pytest.mark.parametrize("host", ["api.yay.com", "API.YAY.COM:443", "api.yay.com."])
def test_real_host_reaches_the_provider_without_prefix(make_client, host):
    client = make_client()
    response = client.get(REAL_PATH, headers={**yay_auth("acme"), "Host": host})
    assert response.status_code == 200 and response.json()["result"]["uuid"] == DOCUMENTED_UUID
    [entry] = client.get("/_emulator/requests").json()
    assert (entry["provider"], entry["path"]) == ("yay", REAL_PATH)


def test_control_plane_answers_on_every_host(make_client):
    client = make_client()
    assert client.get("/_emulator/health", headers={"Host": "api.yay.com"}).status_code == 200


def test_other_hosts_keep_prefixed_paths(make_client):
    client = make_client()
    assert client.get(REAL_PATH, headers={**yay_auth("acme"), "Host": "localhost:8080"}).status_code == 404
    assert client.get(f"/yay{REAL_PATH}", headers={**yay_auth("acme"), "Host": "localhost"}).status_code == 200


def test_faults_apply_to_virtual_host_requests(make_client):
    client = make_client()
    client.post("/_emulator/faults", json={"provider": "yay", "path": "/voip/*", "kind": "error", "status": 503})
    assert client.get(REAL_PATH, headers={**yay_auth("acme"), "Host": "api.yay.com"}).status_code == 503


def test_hosts_are_configurable(make_client, monkeypatch):
    monkeypatch.setenv("EMULATOR_VIRTUAL_HOSTS", json.dumps({"yay.internal": "yay"}))
    client = make_client()
    assert client.get(REAL_PATH, headers={**yay_auth("acme"), "Host": "yay.internal"}).status_code == 200
    # The setting replaces the defaults.
    assert client.get(REAL_PATH, headers={**yay_auth("acme"), "Host": "api.yay.com"}).status_code == 404


def test_unknown_provider_in_the_setting_is_an_error(make_client):
    with pytest.raises(ValueError, match="unknown providers: nobody"):
        make_client(virtual_hosts={"x.example": "nobody"})
