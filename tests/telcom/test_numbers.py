"""Telcom behaviour: routing and parameter styles, every error status, auth, the inventory's life,
destinations, subscriber validation, tenant isolation, and that rejected requests change nothing."""

from __future__ import annotations

import json

import phonenumbers
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.core import numbering
from emulator.settings import Settings
from tests.telcom.support import API, AUTH, call, freeze_clock, with_time

pytestmark = pytest.mark.each_backend

INFO_HEAD = '{"status":"success","time":0.0,"flags":{},"data":{"id":3466,"number":"03301222970",'


def error_text(status: str, data: dict) -> str:
    return json.dumps({"status": status, "time": None, "flags": {}, "data": data}, separators=(",", ":"))


def acquirable(client, prefix: str = "01234", headers: dict | None = None) -> list[str]:
    return call(client, "numbers/acquirable_numbers", {"prefix": prefix}, headers).json()["data"]


# --- routing and parameter styles -----------------------------------------------------------------


@pytest.mark.parametrize(
    "style",
    ["json body", "params form field", "params query field", "plain form fields", "plain query fields"],
)
def test_every_parameter_style_reads_the_same(client, style):
    url = f"{API}/numbers/info"
    if style == "json body":
        response = client.post(url, headers=AUTH, json={"id": 3466})
    elif style == "params form field":
        response = client.post(url, headers=AUTH, data={"params": '{"id":3466}'})
    elif style == "params query field":
        response = client.get(url, headers=AUTH, params={"params": '{"id":3466}'})
    elif style == "plain form fields":
        response = client.post(url, headers=AUTH, data={"id": "3466"})
    else:
        response = client.get(url, headers=AUTH, params={"id": "3466"})
    assert response.status_code == 200
    assert with_time(response.text, 0.0).startswith(INFO_HEAD)


def test_plain_fields_carry_booleans_as_moonrope_reads_them(client):
    response = client.post(f"{API}/numbers/save", headers=AUTH, data={"id": "3466", "recording_enabled": "1"})
    assert response.json()["data"]["recording_enabled"] is True


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_any_method_is_answered_alike(client, method):
    response = client.request(method, f"{API}/numbers/info", headers=AUTH, params={"id": "3466"})
    assert response.status_code == 200
    assert with_time(response.text, 0.0).startswith(INFO_HEAD)


def test_methods_moonrope_never_sees_get_405_with_allow(client):
    response = client.request("TRACE", f"{API}/numbers/info", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH, POST, PUT"
    assert response.text == '{"status":"method-not-allowed"}'


def test_options_answers_ok_for_cors(client):
    response = client.options(f"{API}/numbers/info")
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["numbers/nope", "nope/list", "numbers", "menus/save"])
def test_unknown_controller_or_action(client, path):
    response = client.post(f"{API}/{path}", headers=AUTH, json={})
    assert (response.status_code, response.text) == (400, '{"status":"invalid-controller-or-action"}')


@pytest.mark.parametrize(
    ("content", "details"),
    [
        (b"{bad", "Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"", "Expecting value at line 1 column 1"),
        (b"[1]", "params must be a JSON object"),
        (b'{"id": NaN}', "NaN is not JSON"),
    ],
)
def test_body_that_is_not_a_json_object(client, content, details):
    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post(f"{API}/numbers/info", headers=headers, content=content)
    assert response.status_code == 400
    assert response.text == json.dumps({"status": "invalid-json", "details": details}, separators=(",", ":"))


def test_params_field_that_is_not_json(client):
    response = client.get(f"{API}/numbers/info", headers=AUTH, params={"params": "{"})
    assert response.status_code == 400 and response.json()["status"] == "invalid-json"


# --- errors inside the envelope (all HTTP 200) ------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"X-Auth-Token": "unit-1"}, {"X-Auth-Secret": "secret"}, {"X-Auth-Token": "", "X-Auth-Secret": "x"}]
)
def test_missing_credentials_are_access_denied(client, headers):
    response = call(client, "numbers/list", headers=headers)
    assert response.status_code == 200
    assert response.text == error_text("access-denied", {"message": "Invalid API token or secret"})


def test_not_found(client):
    response = call(client, "numbers/info", {"id": 99})
    assert response.status_code == 200
    assert response.text == error_text("not-found", {"message": "No number found with ID 99"})
    huge = call(client, "numbers/delete", {"id": 10**30})
    assert huge.text == error_text("not-found", {"message": f"No number found with ID {10**30}"})


@pytest.mark.parametrize("style", ["form", "query"])
def test_an_integer_of_thousands_of_digits_is_a_parameter_error_not_a_500(client, style):
    digits = "9" * 5000
    if style == "form":
        response = client.post(f"{API}/numbers/info", headers=AUTH, data={"id": digits})
    else:
        response = client.post(f"{API}/numbers/info?id={digits}", headers=AUTH)
    assert response.status_code == 200
    assert response.text == error_text("parameter-error", {"message": "`id` is out of range"})


@pytest.mark.parametrize(
    ("action", "params", "message"),
    [
        ("numbers/info", {}, "`id` parameter is required but is missing"),
        ("numbers/info", {"id": None}, "`id` parameter is required but is missing"),
        ("numbers/delete", {"id": "abc"}, "`id` should be a `Integer` but is a `String`"),
        ("numbers/info", {"id": True}, "`id` should be a `Integer` but is a `TrueClass`"),
        ("numbers/info", {"id": 1.5}, "`id` should be a `Integer` but is a `Float`"),
        ("numbers/acquirable_numbers", {}, "`prefix` parameter is required but is missing"),
        ("numbers/acquire", {"number": 1234}, "`number` should be a `String` but is a `Integer`"),
        ("numbers/save", {"id": 3466, "recording_enabled": "yes"}, "`recording_enabled` should be a boolean value"),
        ("numbers/update_subscriber", {"first_name": "Alex"}, "`id` parameter is required but is missing"),
        ("menus/info", {}, "`id` parameter is required but is missing"),
    ],
)
def test_parameter_errors(client, action, params, message):
    response = call(client, action, params)
    assert response.status_code == 200
    assert response.text == error_text("parameter-error", {"message": message})


def test_validation_error_lists_every_problem(client):
    response = call(client, "numbers/save", {"context": "outgoing", "destination_type": "Queue"})
    assert response.status_code == 200
    assert response.text == error_text(
        "validation-error",
        {
            "errors": [
                "Number can't be blank",
                "Context is not included in the list",
                "Destination type is not included in the list",
            ]
        },
    )


def test_domain_error_has_a_code(client):
    response = call(client, "numbers/acquire", {"number": "01234000000"})
    assert response.status_code == 200
    assert response.text == error_text(
        "error", {"code": "NumberNotAvailable", "message": "The number 01234000000 is not available"}
    )
    unknown_prefix = call(client, "numbers/acquirable_numbers", {"prefix": "09999"})
    assert unknown_prefix.text == error_text(
        "error", {"code": "InvalidPrefix", "message": "No numbers are available with the prefix 09999"}
    )


# --- numbers/save ---------------------------------------------------------------------------------------


def test_save_creates_a_number_from_the_tenant_sequence(client):
    freeze_clock(client, "2021-03-04T05:06:07.890Z")
    created = call(client, "numbers/save", {"number": "0330 122 2971", "context": "utility"})
    assert with_time(created.text, 0.0) == (
        '{"status":"success","time":0.0,"flags":{},"data":{"id":4243,"number":"03301222971","context":"utility",'
        '"created_at":"2021-03-04T05:06:07.890Z","updated_at":"2021-03-04T05:06:07.890Z","recording_enabled":true,'
        '"caller_id_prefix":null,"callerid_passthrough":true,"forward_sip_to":null,"aquisition":{"acquired_at":null,'
        '"subscriber":{"first_name":null,"name":null,"address1":null,"address2":null,"address3":null,"address4":null,'
        '"postcode":null,"pushed_at":null,"status":"unknown"}},"destination":null}}'
    )
    again = call(client, "numbers/save", {"number": "03301222971", "context": "incoming"})
    assert again.text == error_text("validation-error", {"errors": ["Number has already been taken"]})
    invalid = call(client, "numbers/save", {"number": "0123", "context": "incoming"})
    assert invalid.text == error_text("validation-error", {"errors": ["Number is invalid"]})


def test_creation_only_fields_are_rejected_on_update(client):
    response = call(client, "numbers/save", {"id": 3466, "number": "03301222971", "context": "utility"})
    assert response.text == error_text(
        "validation-error",
        {
            "errors": [
                "Number cannot be changed once the number has been created",
                "Context cannot be changed once the number has been created",
            ]
        },
    )


def test_save_updates_flags_and_prefix(client):
    data = call(
        client, "numbers/save", {"id": 3466, "caller_id_prefix": "SALES", "callerid_passthrough": "false"}
    ).json()["data"]
    assert (data["caller_id_prefix"], data["callerid_passthrough"]) == ("SALES", False)
    assert call(client, "numbers/info", {"id": 3466}).json()["data"]["caller_id_prefix"] == "SALES"


# --- destinations ----------------------------------------------------------------------------------------


def test_menus_and_call_groups(client):
    assert with_time(call(client, "menus/list").text, 0.0) == (
        '{"status":"success","time":0.0,"flags":{},"data":[{"id":262,"name":"Main Menu"},{"id":263,"name":"Out of Hours"}]}'
    )
    assert call(client, "menus/info", {"id": 262}).json()["data"] == {"id": 262, "name": "Main Menu"}
    assert call(client, "call_groups/list").json()["data"] == [
        {"id": 118, "name": "Sales"},
        {"id": 119, "name": "Support"},
    ]
    assert call(client, "call_groups/info", {"id": 119}).json()["data"] == {"id": 119, "name": "Support"}
    assert call(client, "call_groups/info", {"id": 262}).text == error_text(
        "not-found", {"message": "No call group found with ID 262"}
    )


@pytest.mark.parametrize(
    ("kind", "object_id", "name"),
    [
        ("CallGroup", 118, "Sales"),
        ("VoicemailBox", 501, "Reception"),
        ("Followme", 77, "Duty Manager"),
        ("Menu", 263, "Out of Hours"),
    ],
)
def test_save_routes_to_an_existing_destination(client, kind, object_id, name):
    response = call(client, "numbers/save", {"id": 3466, "destination_type": kind, "destination_id": object_id})
    expected = {"type": kind, "object": {"id": object_id, "name": name}}
    assert response.json()["data"]["destination"] == expected
    assert call(client, "numbers/list").json()["data"][0]["destination"] == expected


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"destination_type": "Menu", "destination_id": 118}, ["Destination does not exist"]),
        ({"destination_type": "CallGroup", "destination_id": 262}, ["Destination does not exist"]),
        ({"destination_type": "Menu"}, ["Destination can't be blank"]),
        ({"destination_id": 262}, ["Destination type is not included in the list"]),
        ({"destination_type": "menu", "destination_id": 262}, ["Destination type is not included in the list"]),
    ],
)
def test_save_refuses_a_destination_that_is_not_there(client, params, errors):
    response = call(client, "numbers/save", {"id": 3466, "recording_enabled": True, **params})
    assert response.text == error_text("validation-error", {"errors": errors})


# --- the inventory ----------------------------------------------------------------------------------------


def test_inventory_life_acquire_gone_delete_back(client):
    before = acquirable(client)
    taken = before[0]
    acquired = call(client, "numbers/acquire", {"number": taken}).json()["data"]
    assert acquired["id"] == 4243 and "destination" not in acquired
    after = acquirable(client)
    assert taken not in after
    assert after == before[1:] + ["01234901769"]  # the next number in stock moves up
    twice = call(client, "numbers/acquire", {"number": taken})
    assert twice.json()["data"]["code"] == "NumberNotAvailable"
    assert call(client, "numbers/delete", {"id": acquired["id"]}).json()["data"] is True
    assert acquirable(client) == before
    # IDs are never reused.
    assert call(client, "numbers/acquire", {"number": taken}).json()["data"]["id"] == 4244


def test_generated_stock_is_real_numbers_of_the_prefix_and_deterministic(client, tmp_path):
    area = numbering.area_code_for_prefix("01970")
    numbers = acquirable(client, "01970")
    assert len(numbers) == 10 and len(set(numbers)) == 10
    for number in numbers:
        parsed = phonenumbers.parse(number, "GB")
        assert number.startswith("01970") and phonenumbers.is_valid_number(parsed)
        assert numbering.describe(number).range_name == area.name == "Aberystwyth"
    other = Settings(database_url=f"sqlite:///{tmp_path / 'other.sqlite3'}", data_dir=tmp_path)
    with TestClient(create_app(other)) as second:
        assert acquirable(second, "01970") == numbers
    acquired = call(client, "numbers/acquire", {"number": numbers[3]}).json()["data"]
    assert acquired["number"] == numbers[3]


def test_every_number_offered_under_every_prefix_can_be_acquired(client):
    """The whole stock: what acquirable_numbers offers for any listed prefix, acquire takes, including
    prefixes whose numbers also start with a longer area code (01387 and 013873, say)."""
    from emulator.providers.telcom import service
    from emulator.providers.telcom.actions import inventory_of

    inventory = inventory_of(client.app.state.runtime)
    prefixes = [area["prefix"] for area in call(client, "numbers/available_prefixes").json()["data"]]
    refused = [n for p in prefixes for n in inventory.stock(p) if not service.in_stock(n, inventory)]
    assert refused == []
    # Through the wire, every offered number of the prefixes that used to be refused.
    for prefix in ("01387", "01524", "01539", "01697", "01768", "01946"):
        for number in acquirable(client, prefix):
            answer = call(client, "numbers/acquire", {"number": number}).json()
            assert answer["status"] == "success" and answer["data"]["number"] == number, answer


def test_prefixes_are_every_named_uk_area_code(client):
    prefixes = call(client, "numbers/available_prefixes").json()["data"]
    assert len(prefixes) == len(numbering.area_codes("GB")) > 500
    by_prefix = {p["prefix"]: p["description"] for p in prefixes}
    assert by_prefix["0121"] == "Birmingham (0121)" and by_prefix["01234"] == "Bedford (01234)"


# --- subscriber validation ----------------------------------------------------------------------------------


def test_subscriber_validation_through_the_control_plane(client):
    freeze_clock(client, "2020-01-02T03:04:05.678Z")
    updated = call(client, "numbers/update_subscriber", {"id": 3466, "name": "Telcom", "postcode": "M1 1DZ"}).json()[
        "data"
    ]
    assert updated["destination"] == {"type": "Menu", "object": {"id": 262, "name": "Main Menu"}}
    assert updated["aquisition"]["subscriber"]["status"] == "validation_pending"
    decision = client.post(
        "/_emulator/telcom/numbers/3466/subscriber", json={"tenant": "unit-1", "status": "validated"}
    )
    assert decision.status_code == 200
    assert decision.json() == {
        "tenant": "unit-1",
        "id": 3466,
        "status": "validated",
        "pushed_at": "2020-01-02T03:04:05.000Z",
    }
    subscriber = call(client, "numbers/info", {"id": 3466}).json()["data"]["aquisition"]["subscriber"]
    assert subscriber == {
        "first_name": None,
        "name": "Telcom",
        "address1": None,
        "address2": None,
        "address3": None,
        "address4": None,
        "postcode": "M1 1DZ",
        "pushed_at": "2020-01-02T03:04:05.000Z",
        "status": "validated",
    }
    # Only a record awaiting validation can be decided; a new update sends it back for validation.
    again = client.post("/_emulator/telcom/numbers/3466/subscriber", json={"tenant": "unit-1", "status": "rejected"})
    assert again.status_code == 409
    call(client, "numbers/update_subscriber", {"id": 3466, "address1": "1 New Street"})
    rejected = client.post("/_emulator/telcom/numbers/3466/subscriber", json={"tenant": "unit-1", "status": "rejected"})
    assert rejected.json()["status"] == "rejected"


def test_subscriber_control_refuses_unknown_numbers_and_verdicts(client):
    call(client, "numbers/list")
    assert (
        client.post(
            "/_emulator/telcom/numbers/3466/subscriber", json={"tenant": "nobody", "status": "validated"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/_emulator/telcom/numbers/1/subscriber", json={"tenant": "unit-1", "status": "validated"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/_emulator/telcom/numbers/3466/subscriber", json={"tenant": "unit-1", "status": "unknown"}
        ).status_code
        == 422
    )


# --- tenants and auth -----------------------------------------------------------------------------------------


def test_tenants_are_isolated(client):
    other = {"X-Auth-Token": "unit-2", "X-Auth-Secret": "another"}
    taken = acquirable(client)[0]
    call(client, "numbers/acquire", {"number": taken})
    call(client, "numbers/save", {"id": 3466, "recording_enabled": True})
    assert call(client, "numbers/info", {"id": 4243}, other).json()["status"] == "not-found"
    assert call(client, "numbers/info", {"id": 3466}, other).json()["data"]["recording_enabled"] is False
    assert taken in acquirable(client, headers=other)
    assert call(client, "numbers/acquire", {"number": taken}, other).json()["data"]["id"] == 4243


@pytest.fixture
def strict_client(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'strict.sqlite3'}",
        data_dir=tmp_path,
        credentials={"telcom": [["unit-1", "secret"]]},
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("numbers/list", None),
        ("numbers/info", {"id": 3466}),
        ("numbers/save", {"id": 3466, "recording_enabled": True}),
        ("numbers/available_prefixes", None),
        ("numbers/acquirable_numbers", {"prefix": "01234"}),
        ("numbers/acquire", {"number": "01234901769"}),
        ("numbers/update_subscriber", {"id": 3466, "name": "X"}),
        ("numbers/delete", {"id": 3466}),
        ("numbers/available_access_numbers", None),
        ("menus/list", None),
        ("menus/info", {"id": 262}),
        ("call_groups/list", None),
        ("call_groups/info", {"id": 118}),
    ],
)
def test_every_action_refuses_credentials_it_does_not_accept(strict_client, action, params):
    denied = error_text("access-denied", {"message": "Invalid API token or secret"})
    for headers in (
        {},
        {"X-Auth-Token": "unit-1", "X-Auth-Secret": "wrong"},
        {"X-Auth-Token": "other", "X-Auth-Secret": "secret"},
    ):
        assert call(strict_client, action, params, headers).text == denied
    assert strict_client.get("/_emulator/tenants").json() == []
    assert call(strict_client, action, params).json()["status"] == "success"


# --- rejected requests change nothing ------------------------------------------------------------------------------


def test_rejected_requests_change_nothing(client):
    before = call(client, "numbers/list").text
    stock = acquirable(client)
    headers = {**AUTH, "Content-Type": "application/json"}
    rejected = [
        call(
            client,
            "numbers/save",
            {"id": 3466, "recording_enabled": True, "destination_type": "Menu", "destination_id": 1},
        ),
        call(client, "numbers/save", {"id": 3466, "caller_id_prefix": "X", "number": "03301222971"}),
        call(client, "numbers/save", {"id": 3466, "caller_id_prefix": "x" * 256}),
        call(client, "numbers/save", {"id": 3466, "caller_id_prefix": "a\x00b"}),
        call(client, "numbers/save", {"number": "0330 122 2971", "context": "bogus"}),
        call(client, "numbers/update_subscriber", {"id": 3466, "name": "n" * 256}),
        call(client, "numbers/acquire", {"number": "09999999999"}),
        call(client, "numbers/delete", {"id": "3466x"}),
        call(client, "numbers/delete", {"id": 3466}, headers={}),
        client.post(f"{API}/numbers/delete", headers=headers, content=b'{"id": 3466'),
        client.post(f"{API}/numbers/dlete", headers=AUTH, json={"id": 3466}),
    ]
    assert all(r.status_code in (200, 400) and r.json()["status"] != "success" for r in rejected)
    assert call(client, "numbers/list").text.split(',"flags"')[1] == before.split(',"flags"')[1]
    assert acquirable(client) == stock
    # No number ID was spent either.
    assert call(client, "numbers/acquire", {"number": stock[0]}).json()["data"]["id"] == 4243


def test_update_subscriber_of_an_unknown_number(client):
    assert call(client, "numbers/update_subscriber", {"id": 5, "name": "X"}).text == error_text(
        "not-found", {"message": "No number found with ID 5"}
    )
