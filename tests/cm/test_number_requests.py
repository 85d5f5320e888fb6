"""CM.com number requests on the wire: literal bodies, validation, paging, auth, the siblings."""

from __future__ import annotations

import json
import re

import phonenumbers
import pytest

from tests.cm.conftest import (
    ACCOUNT,
    AUTH,
    BASE,
    GB_PROFILE,
    REQUESTS,
    START,
    TOKEN,
    US_PROFILE,
    create,
)

pytestmark = pytest.mark.each_backend

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_an_order_the_inventory_can_fill_is_assigned_at_once(cm):
    response = cm.post(REQUESTS, headers=AUTH, json={"companyProfileId": GB_PROFILE, "quantity": 2, "areaCode": "020"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    first, second = body["numbers"]
    # The literal body: key order, nulls, System.Text.Json's escaping of "+".
    expected = (
        '{"requestId":"%s","companyProfileId":"%s","status":"Completed","statusReason":null,'
        '"numberType":"LOCAL","country":"GB","quantity":2,"rangeSize":null,"areaCode":"020","city":null,'
        '"region":null,"comment":null,"callbackUrl":null,"createdOn":"%s","updatedOn":"%s","id":"%s",'
        '"start":"\\u002B%s","validFrom":"%s","validTo":null,"numbers":["\\u002B%s","\\u002B%s"]}'
    ) % (body["requestId"], GB_PROFILE, START, START, body["id"], first[1:], START, first[1:], second[1:])
    assert response.text == expected
    assert re.fullmatch(GUID, body["requestId"]) and re.fullmatch(GUID, body["id"])
    for number in body["numbers"]:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed) and number.startswith("+4420")
    assert cm.get(f"{REQUESTS}/{body['requestId']}", headers=AUTH).text == expected


def test_an_order_that_must_wait_has_id_start_validfrom_and_validto_null(cm):
    response = cm.post(
        REQUESTS,
        headers=AUTH,
        json={
            "quantity": 250,
            "city": "Leeds",
            "comment": "Sales & <support>",
            "callbackUrl": "https://example.com/cm?x=1",
        },
    )
    assert response.status_code == 200
    request_id = response.json()["requestId"]
    expected = (
        '{"requestId":"%s","companyProfileId":null,"status":"Pending","statusReason":null,"numberType":"LOCAL",'
        '"country":"GB","quantity":250,"rangeSize":null,"areaCode":null,"city":"Leeds","region":null,'
        '"comment":"Sales \\u0026 \\u003Csupport\\u003E","callbackUrl":"https://example.com/cm?x=1",'
        '"createdOn":"%s","updatedOn":"%s","id":null,"start":null,"validFrom":null,"validTo":null,"numbers":[]}'
    ) % (request_id, START, START)
    assert response.text == expected


def test_the_threshold_for_immediate_assignment_is_a_setting(database_url, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from emulator.app import create_app
    from emulator.settings import Settings

    monkeypatch.setenv("EMULATOR_CM_IMMEDIATE_MAX_QUANTITY", "0")
    with TestClient(create_app(Settings(database_url=database_url, data_dir=tmp_path))) as client:
        assert create(client, quantity=1, areaCode="020")["status"] == "Pending"


def test_ranges_come_in_consecutive_blocks(cm):
    body = create(cm, quantity=10, rangeSize=10, areaCode="0161")
    numbers = [int(number) for number in body["numbers"]]
    assert body["status"] == "Completed" and body["rangeSize"] == 10
    assert numbers == list(range(numbers[0], numbers[0] + 10)) and numbers[0] % 10 == 0


def test_toll_free_and_national_numbers_are_of_their_kind(cm):
    toll_free = create(cm, quantity=3, numberType="TOLLFREE", areaCode="0800")
    national = create(cm, quantity=3, numberType="NATIONAL", areaCode="0333")
    assert all(number.startswith("+44800") for number in toll_free["numbers"])
    assert all(number.startswith("+44333") for number in national["numbers"])
    kinds = {phonenumbers.number_type(phonenumbers.parse(n)) for n in toll_free["numbers"]}
    assert kinds == {phonenumbers.PhoneNumberType.TOLL_FREE}


def test_nanpa_orders_need_a_region_and_get_numbers_of_it(cm):
    missing = cm.post(REQUESTS, headers=AUTH, json={"companyProfileId": US_PROFILE, "quantity": 1, "city": "New York"})
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"Region": ["The Region field is required for NANPA countries."]}
    body = create(cm, companyProfileId=US_PROFILE, quantity=1, city="New York", region="NY")
    assert body["country"] == "US" and body["status"] == "Completed"
    assert body["numbers"][0][:5] in {"+1212", "+1332", "+1646", "+1917", "+1347", "+1718", "+1929"}


def problem_errors(response) -> dict:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
    body = response.json()
    assert list(body) == ["type", "title", "status", "errors", "traceId"]
    assert body["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert body["title"] == "One or more validation errors occurred." and body["status"] == 400
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", body["traceId"])
    return body["errors"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"quantity": 0, "areaCode": "020"}, {"Quantity": ["The field Quantity must be between 1 and 1000."]}),
        ({"quantity": 1001, "areaCode": "020"}, {"Quantity": ["The field Quantity must be between 1 and 1000."]}),
        ({"areaCode": "020"}, {"Quantity": ["The field Quantity must be between 1 and 1000."]}),
        (
            {"quantity": 1},
            {
                "AreaCode": ["The AreaCode field is required when City is not provided."],
                "City": ["The City field is required when AreaCode is not provided."],
            },
        ),
        (
            {"quantity": 1, "areaCode": "", "city": None},
            {
                "AreaCode": ["The AreaCode field is required when City is not provided."],
                "City": ["The City field is required when AreaCode is not provided."],
            },
        ),
        (
            {"quantity": 5, "numberType": "TOLLFREE", "rangeSize": 10, "areaCode": "0800"},
            {"RangeSize": ["Number ranges cannot be requested for number type TOLLFREE."]},
        ),
        (
            {"quantity": 5, "rangeSize": 7, "areaCode": "020"},
            {"RangeSize": ["The range size must be one of 10, 100 for number type LOCAL."]},
        ),
        (
            {"quantity": 1, "areaCode": "020", "callbackUrl": "example.com/hook"},
            {"CallbackUrl": ["The CallbackUrl field is not a valid fully-qualified http or https URL."]},
        ),
        (
            {"quantity": 1, "areaCode": "020", "callbackUrl": "ftp://example.com/hook"},
            {"CallbackUrl": ["The CallbackUrl field is not a valid fully-qualified http or https URL."]},
        ),
        (
            {"quantity": "two", "areaCode": "020"},
            {"$.quantity": ["The JSON value could not be converted to System.Int32. Path: $.quantity."]},
        ),
        (
            {"quantity": True, "areaCode": "020"},
            {"$.quantity": ["The JSON value could not be converted to System.Int32. Path: $.quantity."]},
        ),
        (
            {"quantity": 1, "areaCode": "020", "numberType": "MOBILE"},
            {"$.numberType": ["The JSON value could not be converted to NumberType. Path: $.numberType."]},
        ),
        (
            {"quantity": 1, "areaCode": "020", "companyProfileId": "not-a-guid"},
            {
                "$.companyProfileId": [
                    "The JSON value could not be converted to System.Nullable`1[System.Guid]. Path: $.companyProfileId."
                ]
            },
        ),
        (
            {"quantity": 1, "areaCode": "020", "comment": "x" * 1001},
            {"Comment": ["The field Comment must be a string or array type with a maximum length of '1000'."]},
        ),
        (
            {"quantity": 1, "areaCode": "0\u00002"},
            {"AreaCode": ["The field AreaCode must not contain NUL characters."]},
        ),
        ([{"quantity": 1}], {"$": ["The JSON value could not be converted to NumberRequest. Path: $."]}),
    ],
)
def test_invalid_orders_are_refused_and_nothing_is_stored(cm, body, errors):
    before = cm.get(REQUESTS, headers=AUTH).headers["x-cm-pagination-total"]
    assert problem_errors(cm.post(REQUESTS, headers=AUTH, json=body)) == errors
    assert cm.get(REQUESTS, headers=AUTH).headers["x-cm-pagination-total"] == before


def test_unreadable_bodies_are_refused(cm):
    json_type = {**AUTH, "Content-Type": "application/json"}
    assert list(problem_errors(cm.post(REQUESTS, headers=json_type, content=b'{"quantity":'))) == ["$"]
    assert problem_errors(cm.post(REQUESTS, headers=json_type, content=b"")) == {
        "": ["A non-empty request body is required."]
    }
    assert list(problem_errors(cm.post(REQUESTS, headers=json_type, content=b'{"quantity": NaN}'))) == ["$"]
    wrong_type = cm.post(REQUESTS, headers={**AUTH, "Content-Type": "text/plain"}, content=b"{}")
    assert wrong_type.status_code == 415 and wrong_type.json()["title"] == "Unsupported Media Type"


def test_field_names_are_case_insensitive_like_aspnet(cm):
    body = create(cm, Quantity=1, AREACODE="020")
    assert body["quantity"] == 1 and body["areaCode"] == "020"


@pytest.mark.parametrize("token", [None, "", "not-a-guid", TOKEN + "0"])
def test_a_missing_or_malformed_product_token_is_unauthorized(cm, token):
    headers = {} if token is None else {"X-CM-PRODUCTTOKEN": token}
    response = cm.post(REQUESTS, headers=headers, json={"quantity": 1, "areaCode": "020"})
    assert response.status_code == 401
    body = response.json()
    assert list(body) == ["type", "title", "status", "traceId"]
    assert (body["type"], body["title"]) == ("https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized")


def test_unknown_requests_routes_and_methods_get_problem_details(cm):
    missing = cm.get(f"{REQUESTS}/6f1c2c1e-0000-4000-8000-000000000000", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"
    assert cm.get("/cm/nowhere", headers=AUTH).json()["status"] == 404
    wrong_method = cm.put(REQUESTS, headers=AUTH, json={})
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET, POST"
    assert wrong_method.headers["content-type"] == "application/problem+json; charset=utf-8"


def test_the_list_pages_with_skip_and_take_and_says_so_in_headers(cm):
    listed = cm.get(REQUESTS, headers=AUTH)
    total = int(listed.headers["x-cm-pagination-total"])
    assert total == len(listed.json()) == 10  # the fixtures' requests
    page = cm.get(REQUESTS, headers=AUTH, params={"Skip": 2, "Take": 3})
    assert (page.headers["x-cm-pagination-skip"], page.headers["x-cm-pagination-take"]) == ("2", "3")
    assert page.headers["x-cm-pagination-total"] == str(total)
    assert [r["requestId"] for r in page.json()] == [r["requestId"] for r in listed.json()][2:5]
    assert cm.get(REQUESTS, headers=AUTH, params={"Skip": 100}).json() == []
    assert list(problem_errors(cm.get(REQUESTS, headers=AUTH, params={"Take": 0}))) == ["Take"]
    assert list(problem_errors(cm.get(REQUESTS, headers=AUTH, params={"Skip": "x"}))) == ["Skip"]


def test_requests_belong_to_their_account_and_tenant(cm):
    created = create(cm, quantity=1, areaCode="020")
    other_account = f"/cm/voice-phonenumberrequestapi/v1/{'1' * 8}-1111-1111-1111-{'1' * 12}/numberrequests"
    assert cm.get(other_account, headers=AUTH).json() == []
    assert cm.get(f"{other_account}/{created['requestId']}", headers=AUTH).status_code == 404
    other_tenant = {"X-CM-PRODUCTTOKEN": "0a1b2c3d-0000-4000-8000-000000000001"}
    assert cm.get(f"{REQUESTS}/{created['requestId']}", headers=other_tenant).status_code == 404
    # GUIDs are not case-sensitive.
    upper = cm.get(f"{REQUESTS}/{created['requestId'].upper()}", headers={"X-CM-PRODUCTTOKEN": TOKEN.upper()})
    assert upper.status_code == 200


def test_statuses_restrictions_locale_options_and_availability(cm):
    statuses = cm.get(f"{REQUESTS}/statuses", headers=AUTH).json()
    assert [(s["status"], s["isFinal"]) for s in statuses] == [
        ("Pending", False),
        ("Accepted", False),
        ("Completed", True),
        ("Rejected", True),
        ("Cancelled", True),
    ]
    restrictions = cm.get(f"{BASE}/orderrestrictions", headers=AUTH, params={"country": "GB"}).json()
    assert {r["numberType"]: r["rangeSizes"] for r in restrictions} == {
        "LOCAL": [10, 100],
        "NATIONAL": [10, 100],
        "TOLLFREE": [],
    }
    assert all(
        r["minimumQuantity"] == 1 and r["maximumQuantity"] == 1000 and not r["regionRequired"] for r in restrictions
    )
    us = cm.get(f"{BASE}/orderrestrictions", headers=AUTH, params={"country": "US", "numberType": "LOCAL"}).json()
    assert us == [
        {
            "country": "US",
            "numberType": "LOCAL",
            "minimumQuantity": 1,
            "maximumQuantity": 1000,
            "immediateMaximumQuantity": 10,
            "rangesAllowed": True,
            "rangeSizes": [10, 100],
            "regionRequired": True,
        }
    ]
    gb = cm.get(f"{BASE}/localeoptions", headers=AUTH).json()
    assert {"areaCode": "020", "city": "London", "region": None} in gb["areaCodes"] and "Aberdeen" in gb["cities"]
    assert gb["regions"] == []
    new_york = cm.get(f"{BASE}/localeoptions", headers=AUTH, params={"country": "US", "region": "NY"}).json()
    assert (
        "NY" in new_york["regions"] and {"areaCode": "212", "city": "New York", "region": "NY"} in new_york["areaCodes"]
    )
    assert all(option["region"] == "NY" for option in new_york["areaCodes"])
    toll_free = cm.get(f"{BASE}/localeoptions", headers=AUTH, params={"numberType": "TOLLFREE"}).json()
    assert [option["areaCode"] for option in toll_free["areaCodes"]] == ["0800", "0808"]
    known = cm.get(f"{BASE}/availability", headers=AUTH, params={"areaCode": "0113", "quantity": 5}).json()
    assert (known["available"], known["immediatelyAvailable"], known["availableQuantity"]) == (True, True, 10)
    large = cm.get(f"{BASE}/availability", headers=AUTH, params={"city": "Leeds", "quantity": 500}).json()
    assert (large["available"], large["immediatelyAvailable"]) == (True, False)
    unknown = cm.get(f"{BASE}/availability", headers=AUTH, params={"areaCode": "0999"}).json()
    assert (unknown["available"], unknown["availableQuantity"]) == (False, 0)


def test_rendering_escapes_like_system_text_json():
    from emulator.core.rendering import DotNetJSONResponse

    body = DotNetJSONResponse({"a": "+44 é <&> \"q\" 'x' `\\ \n\u0001 😀", "b": [1, None, True, 2.5]}).body
    assert body == (
        b'{"a":"\\u002B44 \\u00E9 \\u003C\\u0026\\u003E \\u0022q\\u0022 \\u0027x\\u0027 \\u0060\\\\ \\n\\u0001 '
        b'\\uD83D\\uDE00","b":[1,null,true,2.5]}'
    )
    assert json.loads(body) == {"a": "+44 é <&> \"q\" 'x' `\\ \n\u0001 😀", "b": [1, None, True, 2.5]}


def test_documented_example_account_starts_with_the_fixture_requests(cm):
    listed = cm.get(REQUESTS, headers=AUTH).json()
    assert [r["status"] for r in listed[:5]] == ["Completed", "Pending", "Accepted", "Rejected", "Cancelled"]
    assert listed[0]["requestId"] == "3b9a6a3e-8c4f-4a8e-9a51-0c1d2e3f4a5b" and ACCOUNT in REQUESTS


def test_a_path_no_route_can_match_still_gets_a_problem(cm):
    response = cm.post(f"{REQUESTS}/%0A/cancel", headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
