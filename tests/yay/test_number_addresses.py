"""Yay.com number addresses: documented bodies as literal text, validation, state, tenancy."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.each_backend

DOCUMENTED_UUID = "31347d42-00bd-44a5-9b5c-20dc4197a2f6"
AUTH = {"X-Auth-Reseller": "reseller-1", "X-Auth-User": "user", "X-Auth-Password": "secret"}
JSON = {**AUTH, "Content-Type": "application/json"}
BASE = "/yay/voip/number-address"

# The seed's examples, verbatim (the documentation prints them without indentation).
DOCUMENTED_GET = """{
"result" : {
"city" : "Guildford",
"country_code" : "GB",
"country_personal_id" : "N12345678",
"created_on" : "2023-06-01",
"forename" : "Pete",
"is_default" : true,
"name" : "Pete",
"nickname" : "Work Address",
"postcode" : "GU1 4UG",
"premises" : "22",
"state" : "Surrey",
"street" : "Station Road",
"title" : "Mr",
"type_id" : 2,
"updated_on" : "2023-06-01",
"uuid" : "31347d42-00bd-44a5-9b5c-20dc4197a2f6"
},
"status_code" : 200,
"status_message" : "OK"
}"""

DOCUMENTED_LIST_ITEM = DOCUMENTED_GET.split('"result" : ')[1].split("\n},\n")[0] + "\n}"

DOCUMENTED_CREATED = """{
"result" : {
"city" : "Guildford",
"country_code" : "GB",
"country_personal_id" : "N12345678",
"created_on" : "2023-06-01",
"forename" : "Pete",
"is_default" : true,
"name" : "Pete",
"nickname" : "Work Address",
"postcode" : "GU1 4UG",
"premises" : "22",
"state" : "Surrey",
"street" : "Station Road",
"title" : "Mr",
"type_id" : 2,
"uuid" : "31347d42-00bd-44a5-9b5c-20dc4197a2f6"
},
"status_code" : 201,
"status_message" : "Created"
}"""

DOCUMENTED_BODY = """{
"city" : "Guildford",
"country_code" : "GB",
"country_personal_id" : "N12345678",
"forename" : "Pete",
"is_default" : true,
"name" : "Pete",
"nickname" : "Work Address",
"postcode" : "GU1 4UG",
"premises" : "22",
"state" : "Surrey",
"street" : "Station Road",
"title" : "Mr",
"type_id" : 2
}"""


def error_text(status_code: int, message: str) -> str:
    return '{\n"result" : {},\n"status_code" : %d,\n"status_message" : "%s"\n}' % (status_code, message)


def unindented(text: str) -> str:
    """The body as the documentation prints it: the same lines, without indentation or final newline."""
    return "\n".join(line.lstrip() for line in text.rstrip("\n").split("\n"))


def body() -> dict:
    return json.loads(DOCUMENTED_BODY)


def freeze_at_documented_day(client) -> None:
    assert client.post("/_emulator/clock/set", json={"now": "2023-06-01T09:30:00Z"}).status_code == 200
    assert client.post("/_emulator/clock/freeze").status_code == 200


def listing(client, headers=AUTH) -> str:
    return client.get(BASE, headers=headers).text


def test_documented_address_is_returned_exactly(client):
    response = client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert unindented(response.text) == DOCUMENTED_GET
    # JSON::XS pretty printing: three-space indent, " : ", final newline.
    assert response.text.startswith('{\n   "result" : {\n      "city" : "Guildford",\n')
    assert response.text.endswith('   "status_message" : "OK"\n}\n')


def test_list_starts_with_the_documented_address(client):
    response = client.get(BASE, headers=AUTH)
    assert response.status_code == 200
    text = unindented(response.text)
    assert text.startswith('{\n"result" : [\n' + DOCUMENTED_LIST_ITEM + ",\n{\n")
    assert text.endswith('],\n"status_code" : 200,\n"status_message" : "OK"\n}')
    result = response.json()["result"]
    assert len(result) == 5
    assert [address["is_default"] for address in result].count(True) == 1


def test_create_returns_the_documented_201(client):
    freeze_at_documented_day(client)
    response = client.post(BASE, headers=JSON, content=DOCUMENTED_BODY)
    assert response.status_code == 201
    new_uuid = response.json()["result"]["uuid"]
    assert new_uuid != DOCUMENTED_UUID
    assert unindented(response.text) == DOCUMENTED_CREATED.replace(DOCUMENTED_UUID, new_uuid)
    assert "updated_on" not in response.json()["result"]
    # Stored, with updated_on from now on, and it took over as the one default address.
    stored = client.get(f"{BASE}/{new_uuid}", headers=AUTH).json()["result"]
    assert stored["updated_on"] == "2023-06-01"
    defaults = [a["uuid"] for a in client.get(BASE, headers=AUTH).json()["result"] if a["is_default"]]
    assert defaults == [new_uuid]


def test_put_of_the_documented_body_returns_the_documented_200(client):
    freeze_at_documented_day(client)
    response = client.put(f"{BASE}/{DOCUMENTED_UUID}", headers=JSON, content=DOCUMENTED_BODY)
    assert response.status_code == 200
    assert unindented(response.text) == DOCUMENTED_GET


def test_put_replaces_the_whole_object(client):
    replacement = {
        **body(),
        "type_id": 1,
        "name": "Smith",
        "forename": "Jo",
        "title": "Ms",
        "state": "",
        "is_default": False,
    }
    client.post("/_emulator/clock/set", json={"now": "2024-02-29T12:00:00Z"})
    response = client.put(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH, json=replacement)
    assert response.status_code == 200
    result = response.json()["result"]
    assert {key: result[key] for key in replacement} == replacement
    assert result["created_on"] == "2023-06-01"
    assert result["updated_on"] == "2024-02-29"
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).json()["result"] == result


def test_put_without_a_field_is_refused_and_changes_nothing(client):
    before = listing(client)
    partial = body()
    del partial["nickname"]
    response = client.put(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH, json=partial)
    assert response.status_code == 400
    assert unindented(response.text) == error_text(400, "Bad Request")
    assert listing(client) == before


def test_delete_then_not_found(client):
    response = client.delete(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH)
    assert response.status_code == 200
    assert unindented(response.text) == '{\n"result" : {},\n"status_code" : 200,\n"status_message" : "OK"\n}'
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).status_code == 404
    assert client.delete(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).status_code == 404


@pytest.mark.parametrize("uuid", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "%20", "abc%00def"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_address_is_the_documented_404(client, method, uuid):
    response = client.request(method, f"{BASE}/{uuid}", headers=JSON, content=DOCUMENTED_BODY)
    assert response.status_code == 404
    assert unindented(response.text) == error_text(404, "Not Found")


BAD_BODIES = {
    "malformed JSON": b'{"city" : "Guildford",',
    "not an object": b"[1, 2, 3]",
    "empty": b"",
    "NaN": DOCUMENTED_BODY.replace('"22"', "NaN").encode(),
    "deep nesting": b"[" * 50_000 + b"]" * 50_000,
    "lone surrogate": DOCUMENTED_BODY.replace("Pete", "\\ud800", 1).encode(),
    "string type_id": DOCUMENTED_BODY.replace('"type_id" : 2', '"type_id" : "2"').encode(),
    "unknown type_id": DOCUMENTED_BODY.replace('"type_id" : 2', '"type_id" : 3').encode(),
    "fractional type_id": DOCUMENTED_BODY.replace('"type_id" : 2', '"type_id" : 1.5').encode(),
    "boolean type_id": DOCUMENTED_BODY.replace('"type_id" : 2', '"type_id" : true').encode(),
    "string boolean": DOCUMENTED_BODY.replace('"is_default" : true', '"is_default" : "true"').encode(),
    "integer boolean": DOCUMENTED_BODY.replace('"is_default" : true', '"is_default" : 1').encode(),
    "lower-case country": DOCUMENTED_BODY.replace('"GB"', '"gb"').encode(),
    "three-letter country": DOCUMENTED_BODY.replace('"GB"', '"GBR"').encode(),
    "unknown country": DOCUMENTED_BODY.replace('"GB"', '"ZZ"').encode(),
    "null city": DOCUMENTED_BODY.replace('"Guildford"', "null").encode(),
    "empty street": DOCUMENTED_BODY.replace('"Station Road"', '""').encode(),
    "overlong name": DOCUMENTED_BODY.replace('"name" : "Pete"', '"name" : "%s"' % ("x" * 256)).encode(),
    "NUL in postcode": DOCUMENTED_BODY.replace("GU1 4UG", "GU1\\u00004UG").encode(),
    "missing title": DOCUMENTED_BODY.replace('"title" : "Mr",\n', "").encode(),
}


@pytest.mark.parametrize("raw", BAD_BODIES.values(), ids=BAD_BODIES.keys())
@pytest.mark.parametrize("method,path", [("POST", BASE), ("PUT", f"{BASE}/{DOCUMENTED_UUID}")])
def test_bad_input_gets_the_documented_400_and_changes_nothing(client, method, path, raw):
    before = listing(client)
    response = client.request(method, path, headers=JSON, content=raw)
    assert response.status_code == 400
    assert unindented(response.text) == error_text(400, "Bad Request")
    assert listing(client) == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_body_not_declared_as_json_is_a_400(client, content_type):
    before = listing(client)
    headers = AUTH if content_type is None else {**AUTH, "Content-Type": content_type}
    response = client.post(BASE, headers=headers, content=DOCUMENTED_BODY)
    assert response.status_code == 400
    assert listing(client) == before


def test_oversized_body_is_a_413_in_the_envelope(client, settings):
    raw = json.dumps({**body(), "padding": "x" * (settings.max_body_bytes + 1)})
    response = client.post(BASE, headers=JSON, content=raw)
    assert response.status_code == 413
    assert unindented(response.text) == error_text(413, "Request Entity Too Large")


@pytest.mark.parametrize("missing", list(AUTH))
def test_missing_credentials_get_401(client, missing):
    headers = {name: value for name, value in AUTH.items() if name != missing}
    response = client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=headers)
    assert response.status_code == 401
    assert unindented(response.text) == error_text(401, "Unauthorized")


def test_unknown_path_and_wrong_method_use_the_envelope(client):
    response = client.get("/yay/voip/no-such-thing", headers=AUTH)
    assert response.status_code == 404
    assert unindented(response.text) == error_text(404, "Not Found")
    response = client.patch(BASE, headers=AUTH)
    assert response.status_code == 405
    assert unindented(response.text) == error_text(405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, POST"
    assert client.post(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).headers["allow"] == "DELETE, GET, PUT"


def test_tenants_are_isolated(client):
    other = {**AUTH, "X-Auth-Reseller": "reseller-2"}
    created = client.post(BASE, headers=AUTH, json=body()).json()["result"]["uuid"]
    client.delete(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH)
    assert client.get(f"{BASE}/{created}", headers=other).status_code == 404
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=other).status_code == 200
    assert len(client.get(BASE, headers=other).json()["result"]) == 5


def test_sub_customer_accounts_start_empty_and_are_separate(client):
    customer = {**AUTH, "X-Auth-For": "customer-7"}
    assert client.get(BASE, headers=customer).json()["result"] == []
    created = client.post(BASE, headers=customer, json=body()).json()["result"]["uuid"]
    assert [a["uuid"] for a in client.get(BASE, headers=customer).json()["result"]] == [created]
    assert client.get(f"{BASE}/{created}", headers=AUTH).status_code == 404
    # The customer's default does not clear the reseller's.
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).json()["result"]["is_default"] is True


def test_reset_restores_fixtures_for_one_tenant_or_all(client):
    other = {**AUTH, "X-Auth-Reseller": "reseller-2"}
    for headers in (AUTH, other):
        client.delete(f"{BASE}/{DOCUMENTED_UUID}", headers=headers)
    assert client.post("/_emulator/reset", params={"tenant": "reseller-1"}).json() == {"tenants_reset": 1}
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=AUTH).status_code == 200
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=other).status_code == 404
    assert client.post("/_emulator/reset").json() == {"tenants_reset": 2}
    assert client.get(f"{BASE}/{DOCUMENTED_UUID}", headers=other).status_code == 200


def test_strict_credentials_refuse_unknown_ones(tmp_path):
    from fastapi.testclient import TestClient

    from emulator.app import create_app
    from emulator.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'strict.sqlite3'}",
        credentials={"yay": [["reseller-1", "user", "secret"]]},
    )
    with TestClient(create_app(settings)) as client:
        assert client.get(BASE, headers=AUTH).status_code == 200
        response = client.get(BASE, headers={**AUTH, "X-Auth-Password": "wrong"})
        assert response.status_code == 401
        assert unindented(response.text) == error_text(401, "Unauthorized")


def test_integral_number_is_an_integer_as_in_json(client):
    raw = DOCUMENTED_BODY.replace('"type_id" : 2', '"type_id" : 2.0')
    response = client.post(BASE, headers=JSON, content=raw)
    assert response.status_code == 201
    assert '"type_id" : 2,' in response.text
