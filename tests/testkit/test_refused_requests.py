"""A request refused for its credentials is filed in the journal under the tenant those credentials
name, when that tenant exists, so a test sees its own 401s; nothing else about it changes."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.testkit.conftest import YAY, yay_auth

CLOUDLX = "/cloudlx/api"
TELCOM_LIST = "/telcom/api/v2/numbers/list"
CM_REQUESTS = "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"


def journal(client) -> list[tuple[str, int, str | None]]:
    return [(e["path"], e["status"], e["tenant"]) for e in client.get("/_emulator/requests").json()]


def tenants(client) -> set[tuple[str, str]]:
    return {(t["provider"], t["tenant"]) for t in client.get("/_emulator/tenants").json()}


def test_a_wrong_yay_password_is_filed_under_the_known_reseller(make_client):
    client = make_client()
    assert client.get(YAY, headers=yay_auth("acme")).status_code == 200
    refused = client.get(YAY, headers={**yay_auth("acme"), "X-Auth-Password": ""})
    assert refused.status_code == 401
    assert journal(client) == [("/voip/number-address", 200, "acme"), ("/voip/number-address", 401, "acme")]
    [entry] = client.get("/_emulator/requests", params={"tenant": "acme", "status": 401}).json()
    assert entry["request_headers"]["x-auth-password"] == "***"


def test_credentials_naming_no_known_tenant_file_nothing_and_create_nothing(make_client):
    client = make_client()
    client.get(YAY, headers={**yay_auth("stranger"), "X-Auth-Password": ""})
    client.post(TELCOM_LIST, headers={"X-Auth-Token": "stranger"})
    client.get(f"{CLOUDLX}/numbers", headers={"Authorization": "Bearer " + "x" * 40})
    assert [tenant for _, _, tenant in journal(client)] == [None, None, None]
    assert tenants(client) == set()


def test_tenant_fault_rules_do_not_act_on_refused_requests(make_client):
    client = make_client()
    client.get(YAY, headers=yay_auth("acme"))
    client.post("/_emulator/faults", json={"tenant": "acme", "kind": "error", "status": 503})
    refused = client.get(YAY, headers={**yay_auth("acme"), "X-Auth-User": ""})
    assert refused.status_code == 401
    [rule] = client.get("/_emulator/faults").json()
    assert rule["fired"] == 0
    assert journal(client)[-1] == ("/voip/number-address", 401, "acme")


def test_an_expired_or_refreshed_away_cloudlx_token_is_filed_under_its_client(make_client):
    client = make_client()
    form = {"grant_type": "client_credentials", "client_id": "acme", "client_secret": "s"}
    issued = client.post(f"{CLOUDLX}/oauth2/access-token", data=form).json()
    client.post("/_emulator/clock/advance", json={"seconds": 3600})
    expired = client.get(f"{CLOUDLX}/numbers", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert expired.status_code == 401
    refreshed = client.post(
        f"{CLOUDLX}/oauth2/refresh-token",
        data={**form, "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
    ).json()
    retired = client.get(f"{CLOUDLX}/numbers", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert retired.status_code == 401 and refreshed["access_token"] != issued["access_token"]
    assert journal(client) == [
        ("/api/oauth2/access-token", 200, "acme"),
        ("/api/numbers", 401, "acme"),
        ("/api/oauth2/refresh-token", 200, "acme"),
        ("/api/numbers", 401, "acme"),
    ]
    # The tokens themselves stay masked.
    refused = client.get("/_emulator/requests", params={"status": 401}).json()
    assert [e["request_headers"]["authorization"] for e in refused] == ["***", "***"]


def test_refused_client_secrets_telcom_secrets_and_cm_tokens_are_filed_under_their_tenant(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    token = "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"
    # The tenants exist (an earlier run made them); this emulator, on the same database, accepts
    # other credentials only.
    with TestClient(create_app(Settings(database_url=database_url, data_dir=tmp_path))) as before:
        before.post(TELCOM_LIST, headers={"X-Auth-Token": "unit", "X-Auth-Secret": "old"})
        before.get(CM_REQUESTS, headers={"X-CM-PRODUCTTOKEN": token})
        before.post(
            f"{CLOUDLX}/oauth2/access-token",
            data={"grant_type": "client_credentials", "client_id": "acme", "client_secret": "old"},
        )
    accepted = {"telcom": [["unit", "new"]], "cm": [["0b7e3f56-5f3a-4d2e-8f1a-6c7d8e9f0a1b"]], "cloudlx": [["x", "y"]]}
    settings = Settings(database_url=database_url, data_dir=tmp_path, credentials=json.loads(json.dumps(accepted)))
    with TestClient(create_app(settings)) as client:
        denied = client.post(TELCOM_LIST, headers={"X-Auth-Token": "unit", "X-Auth-Secret": "old"})
        assert denied.json()["status"] == "access-denied"
        assert client.get(CM_REQUESTS, headers={"X-CM-PRODUCTTOKEN": token}).status_code == 401
        refused = client.post(
            f"{CLOUDLX}/oauth2/access-token",
            data={"grant_type": "client_credentials", "client_id": "acme", "client_secret": "old"},
        )
        assert refused.status_code == 401
        assert [(e["provider"], e["tenant"]) for e in client.get("/_emulator/requests").json()] == [
            ("telcom", "unit"),
            ("cm", "8d6b***7a11"),  # a CM tenant is its product token: shown masked, found by filter
            ("cloudlx", "acme"),
        ]
        [cm_entry] = client.get("/_emulator/requests", params={"tenant": token}).json()
        assert (cm_entry["provider"], cm_entry["status"]) == ("cm", 401)
        [entry] = client.get("/_emulator/requests", params={"provider": "cloudlx"}).json()
        assert "old" not in entry["request_body"] and "client_secret=***" in entry["request_body"]
