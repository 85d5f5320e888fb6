"""State snapshots: export, change, restore, identical export; scopes; refused documents."""

from __future__ import annotations

import base64

import pytest

from emulator.core.snapshot import state_tables
from tests.support import free_port
from tests.testkit.conftest import ADDRESS, DOCUMENTED_UUID, YAY, yay_auth

pytestmark = pytest.mark.each_backend


def _populate(client):
    client.post("/_emulator/clock/freeze")
    client.post("/_emulator/clock/set", json={"now": "2031-02-03T04:05:06Z"})
    client.post(YAY, headers=yay_auth("alpha"), json=ADDRESS)
    client.post(YAY, headers={**yay_auth("alpha"), "X-Auth-For": "customer-7"}, json=ADDRESS)
    client.delete(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("beta"))


def test_round_trip_export_change_restore_identical(client):
    _populate(client)
    exported = client.get("/_emulator/state").json()
    assert exported["format"] == "number-emulator-state" and exported["version"] == 1
    assert exported["tenant"] is None
    assert exported["clock"] == {"offset_seconds": 0.0, "frozen_at": "2031-02-03T04:05:06Z"}
    assert [(t["provider"], t["tenant"]) for t in exported["tenants"]] == [("yay", "alpha"), ("yay", "beta")]
    rows = exported["tables"]["yay_number_address"]
    assert len(rows) == 5 + 2 + 4
    assert {"customer-7"} == {row["account"] for row in rows if row["account"]}

    # Change everything: data, tenants, clock.
    client.post(YAY, headers=yay_auth("gamma"), json=ADDRESS)
    client.delete(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("alpha"))
    client.post("/_emulator/clock/resume")
    client.post("/_emulator/clock/advance", json={"seconds": 86400})
    assert client.get("/_emulator/state").json() != exported

    restored = client.put("/_emulator/state", json=exported)
    assert restored.status_code == 200 and restored.json() == {"rows_restored": 2 + 11}
    assert client.get("/_emulator/state").json() == exported
    assert client.get("/_emulator/clock").json() == {"now": "2031-02-03T04:05:06Z", "frozen": True}
    # Served state follows: alpha has its documented address again, gamma is gone and reseeds.
    assert client.get(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("alpha")).status_code == 200
    assert len(client.get(YAY, headers=yay_auth("gamma")).json()["result"]) == 5


def test_restored_rows_keep_growing_without_clashes(client):
    _populate(client)
    exported = client.get("/_emulator/state").json()
    client.put("/_emulator/state", json=exported)
    assert client.post(YAY, headers=yay_auth("alpha"), json=ADDRESS).status_code == 201


def test_one_tenant_is_exported_and_restored_alone(client):
    _populate(client)
    alpha = client.get("/_emulator/state", params={"tenant": "alpha"}).json()
    assert alpha["tenant"] == "alpha" and alpha["clock"] is None
    assert {row["tenant"] for row in alpha["tables"]["yay_number_address"]} == {"alpha"}
    assert [t["tenant"] for t in alpha["tenants"]] == ["alpha"]

    client.delete(f"{YAY}/{DOCUMENTED_UUID}", headers=yay_auth("alpha"))
    client.post(YAY, headers=yay_auth("beta"), json=ADDRESS)
    beta_before = client.get("/_emulator/state", params={"tenant": "beta"}).json()
    assert client.put("/_emulator/state", json=alpha).json() == {"rows_restored": 1 + 7}
    assert client.get("/_emulator/state", params={"tenant": "alpha"}).json() == alpha
    assert client.get("/_emulator/state", params={"tenant": "beta"}).json() == beta_before


def test_another_version_is_refused_with_a_clear_error(client):
    _populate(client)
    document = client.get("/_emulator/state").json()
    before = client.get("/_emulator/state").json()
    refused = client.put("/_emulator/state", json={**document, "version": 2})
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "version"]
    assert "state version 2 is not supported" in error["msg"] and "reads version 1" in error["msg"]
    wrong_format = client.put("/_emulator/state", json={**document, "format": "something-else"})
    assert wrong_format.status_code == 422
    assert "not a number-emulator-state document" in wrong_format.json()["detail"][0]["msg"]
    assert client.get("/_emulator/state").json() == before


def test_inconsistent_documents_conflict_and_change_nothing(client):
    _populate(client)
    document = client.get("/_emulator/state").json()
    rows = document["tables"]["yay_number_address"]
    duplicated = {**document, "tables": {"yay_number_address": rows + [rows[0]]}}
    conflict = client.put("/_emulator/state", json=duplicated)
    assert conflict.status_code == 409 and "uniqueness" in conflict.json()["detail"]
    stray = client.get("/_emulator/state", params={"tenant": "alpha"}).json()
    stray["tables"]["yay_number_address"][0]["tenant"] = "beta"
    assert client.put("/_emulator/state", json=stray).status_code == 409
    assert client.get("/_emulator/state").json() == document


def test_malformed_rows_are_refused(client):
    document = client.get("/_emulator/state").json()
    row = {"tenant": "t", "id": 1, "account": "", "uuid": "u", "city": "c", "country_code": "GB",
           "country_personal_id": "", "forename": "", "is_default": "yes", "name": "n", "nickname": "n",
           "postcode": "p", "premises": "1", "state": "", "street": "s", "title": "", "type_id": 1,
           "created_on": "2023-01-01", "updated_on": "2023-01-01"}  # fmt: skip
    bad = {**document, "tables": {"yay_number_address": [row]}}
    assert client.put("/_emulator/state", json=bad).status_code == 422
    row["is_default"] = False
    assert client.put("/_emulator/state", json=bad).status_code == 200
    assert client.put("/_emulator/state", json={**bad, "tables": {"no_such_table": []}}).status_code == 422


def test_every_providers_tables_round_trip(client):
    """Generic over the providers: each one's seeded tenant comes back exactly."""
    runtime = client.app.state.runtime
    for provider in runtime.providers:
        runtime.tenants.ensure(provider, "everyone")
    exported = client.get("/_emulator/state").json()
    expected_tables = {model.__tablename__ for model in state_tables(runtime)}
    assert set(exported["tables"]) == expected_tables
    assert {record["provider"] for record in exported["tenants"]} == set(runtime.providers)
    client.post("/_emulator/reset")
    assert client.put("/_emulator/state", json=exported).status_code == 200
    assert client.get("/_emulator/state").json() == exported


def test_callbacks_still_owed_are_state_and_come_back(client):
    """A CM order whose status callback could not be delivered yet: the owed delivery (its payload
    bytes included) is exported and restored with everything else."""
    client.post("/_emulator/clock/freeze")
    token = {"X-CM-PRODUCTTOKEN": "3f0c7e52-6a4d-4c1b-8e2f-9d7a5b6c4e31"}
    requests = "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
    nobody = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: the delivery stays owed
    created = client.post(requests, headers=token, json={"quantity": 50, "areaCode": "0113", "callbackUrl": nobody})
    assert created.status_code == 200, created.text
    client.post("/_emulator/clock/advance", json={"seconds": 60})  # accepted: a callback is owed
    client.post("/_emulator/callbacks/settle")  # its first attempt made (and refused)
    exported = client.get("/_emulator/state").json()
    owed = exported["tables"]["emulator_callback"]
    assert [(row["url"], row["status"]) for row in owed] == [(nobody, "pending")]
    assert b'"status"' in base64.b64decode(owed[0]["payload"]).lower()
    client.post("/_emulator/reset")
    assert client.get("/_emulator/state").json()["tables"]["emulator_callback"] == []
    assert client.put("/_emulator/state", json=exported).status_code == 200
    assert client.get("/_emulator/state").json() == exported
