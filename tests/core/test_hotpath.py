"""The hot routes answer exactly as the FastAPI routes do: the same status, headers and bytes for
every documented GET of every provider (and Yay's create, Telcom's update), the plain case and the refusals they
hand on alike. Two emulators share one database, one with the hot routes and one without, so both
see one state."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.support import CLOUDLX_ADDRESS
from tests.support import YAY_ADDRESS as ADDRESS

pytestmark = pytest.mark.each_backend

YAY = {"X-Auth-Reseller": "hot", "X-Auth-User": "user", "X-Auth-Password": "secret"}
YAY_BASE = "/yay/voip/number-address"
YAY_DOCUMENTED = f"{YAY_BASE}/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
TELCOM = {"X-Auth-Token": "hot-token", "X-Auth-Secret": "hot-secret"}
SAVE = "/telcom/api/v2/numbers/save"
ACQUIRE = "/telcom/api/v2/numbers/acquire"
CM = {"X-CM-PRODUCTTOKEN": "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"}
CM_BASE = "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
CM_REQUEST = "3b9a6a3e-8c4f-4a8e-9a51-0c1d2e3f4a5b"
CM_JSON = {**CM, "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}
CM_ORDER = {"companyProfileId": "2f1e7331-991b-497d-9a32-dd3c2d79c56d", "quantity": 1, "areaCode": "020"}
CM_NEW_YORK = "811283f7-caf1-4155-8422-e918e9ac4221"
CLOUDLX_ACCEPT = {"Accept": "application/vnd.cloudlx.v1+json"}
CLOUDLX_NUMBER = "7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f"
ADDRESSES = "/cloudlx/api/number-addresses/new"
CLOUDLX_AVAILABLE = ("e0165638-8d72-4223-a472-7acefb7c2360", "aed002e1-e292-4776-81aa-9fa9d526ca59")


def _cloudlx_token(client: TestClient, tenant: str = "hot-client") -> str:
    issued = client.post(
        "/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": tenant, "client_secret": "secret"},
        headers=CLOUDLX_ACCEPT,
    )
    assert issued.status_code == 200, issued.text
    return issued.json()["access_token"]


_TRACE_ID = re.compile(rb'"traceId":"[^"]*"')
# A created Yay address's uuid is new on every answer, as is a CloudLX address's id.
_YAY_UUID = re.compile(rb'"uuid" : "[0-9a-f-]{36}"')
_ADDRESS_ID = re.compile(rb'^\{"id":\d+,"message":"Address added successfully\."\}$')
_TIME = re.compile(rb'"time":[0-9.]+')
# A Telcom write shows the instant it ran at.
_UPDATED_AT = re.compile(rb'"updated_at":"[0-9T:.-]+Z"')
# A created CM request: new ids, numbers drawn for its id, and the instant it was made.
_CM_NEW = re.compile(rb'"(requestId|id)":"[0-9a-f-]{36}"|"(createdOn|updatedOn|validFrom)":"[0-9T:.-]+Z"')
_CM_NUMBER = re.compile(rb"\\u002B[0-9]+")


def _seen(response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client sees, but for what differs on every answer by design: the date, CM's trace
    id (random per problem) and Telcom's measured handling time (and so the length, which is
    checked on its own)."""
    assert int(response.headers["content-length"]) == len(response.content)
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name not in ("date", "server", "content-length")
    ]
    body = _TIME.sub(b'"time":0', _TRACE_ID.sub(b'"traceId":""', response.content))
    body = _YAY_UUID.sub(b'"uuid" : ""', body)
    body = _ADDRESS_ID.sub(b'{"id":0,"message":"Address added successfully."}', body)
    if response.request.url.path.endswith("/numbers/save"):
        body = _UPDATED_AT.sub(b'"updated_at":""', body)
    if response.request.method == "POST" and response.request.url.path == CM_BASE:
        body = _CM_NUMBER.sub(rb"\\u002B", _CM_NEW.sub(lambda found: found[0].split(b":")[0] + b':""', body))
    return response.status_code, headers, body


def _cases(cloudlx_token: str) -> list[tuple[str, str, dict, dict]]:
    """(method, path, headers, extra request arguments): the plain case of each hot route, and the
    refusals and oddities the FastAPI route must be the one to answer."""
    bearer = {"Authorization": f"Bearer {cloudlx_token}"}
    return [
        ("GET", YAY_BASE, YAY, {}),
        ("GET", YAY_DOCUMENTED, YAY, {}),
        ("GET", f"{YAY_BASE}/31347d42-00bd-44a5-9b5c-000000000000", YAY, {}),
        ("GET", f"{YAY_BASE}/not-a-uuid", YAY, {}),
        ("GET", YAY_DOCUMENTED, {**YAY, "X-Auth-For": "sub-customer"}, {}),
        ("GET", YAY_DOCUMENTED, {**YAY, "X-Auth-For": "x" * 256}, {}),
        ("GET", YAY_DOCUMENTED, {"X-Auth-Reseller": "hot"}, {}),
        ("GET", YAY_DOCUMENTED, {**YAY, "X-Auth-User": ""}, {}),
        ("GET", YAY_DOCUMENTED, {**YAY, "Content-Type": "text/plain"}, {"content": b"not json"}),
        ("GET", f"{YAY_BASE}/", YAY, {}),
        ("POST", YAY_BASE, YAY, {"json": ADDRESS}),
        ("POST", YAY_BASE, YAY, {"json": {**ADDRESS, "is_default": True, "extra": [1]}}),
        ("POST", YAY_BASE, YAY, {"json": {**ADDRESS, "is_default": "1", "type_id": "1"}}),
        ("POST", YAY_BASE, YAY, {"json": {key: value for key, value in ADDRESS.items() if key != "city"}}),
        ("POST", YAY_BASE, YAY, {"json": {**ADDRESS, "type_id": 3}}),
        ("POST", YAY_BASE, YAY, {"json": {**ADDRESS, "country_code": "XX"}}),
        ("POST", YAY_BASE, YAY, {"json": [ADDRESS]}),
        ("POST", YAY_BASE, YAY, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("POST", YAY_BASE, YAY, {"content": json.dumps(ADDRESS), "headers": {"Content-Type": "text/plain"}}),
        ("POST", YAY_BASE, YAY, {"content": json.dumps(ADDRESS)}),
        (
            "POST",
            YAY_BASE,
            YAY,
            {"content": json.dumps(ADDRESS), "headers": {"Content-Type": "application/json; charset=utf-8"}},
        ),
        ("POST", YAY_BASE, {**YAY, "X-Auth-Password": "wrong"}, {"json": ADDRESS}),
        ("POST", YAY_BASE, {**YAY, "X-Auth-For": "sub-customer"}, {"json": ADDRESS}),
        ("GET", "/telcom/api/v2/numbers/list", TELCOM, {}),
        ("POST", "/telcom/api/v2/numbers/list", TELCOM, {"json": {}}),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"json": {"id": 3466}}),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"json": {"id": 99999}}),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"json": {"id": "three"}}),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"json": {}}),
        (
            "POST",
            "/telcom/api/v2/numbers/info",
            TELCOM,
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"data": {"id": "3466"}}),
        ("GET", "/telcom/api/v2/numbers/info", TELCOM, {"params": {"id": "3466"}}),
        ("GET", "/telcom/api/v2/numbers/info", TELCOM, {"params": {"params": '{"id": 3466}'}}),
        ("GET", "/telcom/api/v2/numbers/info", TELCOM, {"params": {"params": "[1]"}}),
        ("POST", "/telcom/api/v2/numbers/info", {"X-Auth-Token": "hot-token"}, {"json": {"id": 3466}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "recording_enabled": True}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "caller_id_prefix": "Sales: ", "callerid_passthrough": False}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "Menu", "destination_id": 263}}),
        ("POST", "/telcom/api/v2/numbers/info", TELCOM, {"json": {"id": 3466}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "CallGroup", "destination_id": 118}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "Menu", "destination_id": 999}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "Menu", "destination_id": 2**40}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "Fax", "destination_id": 262}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_type": "Menu"}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "destination_id": 262}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "caller_id_prefix": "x" * 300, "context": "outgoing"}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "caller_id_prefix": "a\u0000b"}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "number": "03301222971"}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 99999, "recording_enabled": False}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 0}}),
        ("POST", SAVE, TELCOM, {"json": {"id": "three"}}),
        ("POST", SAVE, TELCOM, {"json": {"id": 3466, "recording_enabled": "yes"}}),
        ("POST", SAVE, TELCOM, {"data": {"id": "3466", "recording_enabled": "1"}}),
        ("POST", SAVE, {"X-Auth-Token": "hot-token"}, {"json": {"id": 3466}}),
        ("GET", SAVE, TELCOM, {"params": {"id": "3466", "recording_enabled": "0"}}),
        ("POST", ACQUIRE, TELCOM, {"json": {"number": "03301222970"}}),
        ("POST", ACQUIRE, TELCOM, {"json": {"number": "01234000000"}}),
        ("POST", ACQUIRE, TELCOM, {"json": {"number": "０１２３４９０１７６９"}}),
        ("POST", ACQUIRE, TELCOM, {"json": {}}),
        ("POST", ACQUIRE, TELCOM, {"json": {"number": 1234}}),
        ("POST", ACQUIRE, TELCOM, {"data": {"number": "01234000000"}}),
        ("POST", ACQUIRE, {"X-Auth-Token": "hot-token"}, {"json": {"number": "01234000000"}}),
        ("GET", "/cloudlx/api/numbers", bearer, {}),
        ("GET", "/cloudlx/api/numbers", {**bearer, **CLOUDLX_ACCEPT}, {"params": {"max_per_page": "1", "page": "2"}}),
        ("GET", "/cloudlx/api/numbers", bearer, {"params": {"search": "44"}}),
        ("GET", "/cloudlx/api/numbers", bearer, {"params": {"max_per_page": "0"}}),
        ("GET", "/cloudlx/api/numbers", {**bearer, "Accept": "application/vnd.cloudlx.v2+json"}, {}),
        ("GET", "/cloudlx/api/numbers", {**bearer, "Accept": "application/vnd.cloudlx.v1+xml"}, {}),
        ("GET", "/cloudlx/api/numbers", {"Authorization": "Bearer " + "x" * 40}, {}),
        ("GET", "/cloudlx/api/numbers", {"Authorization": "Basic abc"}, {}),
        ("GET", f"/cloudlx/api/number/{CLOUDLX_NUMBER}", {**bearer, **CLOUDLX_ACCEPT}, {}),
        ("POST", ADDRESSES, bearer, {"json": CLOUDLX_ADDRESS}),
        ("POST", ADDRESSES, {**bearer, **CLOUDLX_ACCEPT}, {"json": {**CLOUDLX_ADDRESS, "address_line_2": None}}),
        ("POST", ADDRESSES, bearer, {"json": {**CLOUDLX_ADDRESS, "use_for_emergency_address": False}}),
        (
            "POST",
            ADDRESSES,
            bearer,
            {"json": {**CLOUDLX_ADDRESS, "use_for_emergency_address": False, "use_for_proof_of_address": True}},
        ),
        ("POST", ADDRESSES, bearer, {"json": {**CLOUDLX_ADDRESS, "use_for_emergency_address": "yes"}}),
        ("POST", ADDRESSES, bearer, {"json": {**CLOUDLX_ADDRESS, "address_country": "XX"}}),
        ("POST", ADDRESSES, bearer, {"json": {**CLOUDLX_ADDRESS, "name": ""}}),
        ("POST", ADDRESSES, bearer, {"json": {key: v for key, v in CLOUDLX_ADDRESS.items() if key != "address_city"}}),
        ("POST", ADDRESSES, bearer, {"json": [CLOUDLX_ADDRESS]}),
        ("POST", ADDRESSES, bearer, {"data": {"name": "x"}}),
        ("POST", ADDRESSES, bearer, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("POST", ADDRESSES, {"Authorization": "Bearer " + "x" * 40}, {"json": CLOUDLX_ADDRESS}),
        ("POST", ADDRESSES, {**bearer, "Accept": "application/vnd.cloudlx.v2+json"}, {"json": CLOUDLX_ADDRESS}),
        ("GET", "/cloudlx/api/number/84436b07-5aa7-481e-bc04-86b7a425b54c", bearer, {}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_NUMBER}/reserve", bearer, {}),
        ("PUT", "/cloudlx/api/number/00000000-0000-0000-0000-000000000000/reserve", {**bearer, **CLOUDLX_ACCEPT}, {}),
        ("PUT", "/cloudlx/api/number/nothing/reserve", bearer, {}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_AVAILABLE[0]}/reserve", bearer, {"json": {"number_address_id": 999}}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_AVAILABLE[0]}/reserve", bearer, {"json": {"number_address_id": "x"}}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_AVAILABLE[0]}/reserve", bearer, {"json": [1]}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_AVAILABLE[0]}/reserve", bearer, {"content": b"{", "headers": JSON}),
        ("PUT", f"/cloudlx/api/number/{CLOUDLX_AVAILABLE[0]}/reserve", {"Authorization": "Bearer " + "x" * 40}, {}),
        ("GET", "/cloudlx/api/number/nothing", bearer, {}),
        ("GET", CM_BASE, CM, {}),
        ("GET", CM_BASE, CM, {"params": {"Skip": "2", "Take": "3"}}),
        ("GET", CM_BASE, CM, {"params": {"Skip": "50"}}),
        ("GET", CM_BASE, CM, {"params": {"Take": "0"}}),
        ("GET", CM_BASE, CM, {"params": {"Take": "1001"}}),
        ("GET", CM_BASE, CM, {"params": {"Skip": "-1"}}),
        ("GET", CM_BASE, CM, {"params": [("Skip", "1"), ("Skip", "2")]}),
        ("GET", CM_BASE, {"X-CM-PRODUCTTOKEN": "not-a-guid"}, {}),
        ("GET", CM_BASE.replace("00000000-0000", "nope"), CM, {}),
        ("GET", f"{CM_BASE}/{CM_REQUEST}", CM, {}),
        ("GET", f"{CM_BASE}/{CM_REQUEST.upper()}", CM, {}),
        ("GET", f"{CM_BASE}/{CM_REQUEST[:-1]}0", CM, {}),
        ("GET", f"{CM_BASE}/statuses", CM, {}),
        ("GET", f"{CM_BASE}/{CM_REQUEST}", {}, {}),
        ("POST", CM_BASE, CM, {"json": CM_ORDER}),
        ("POST", CM_BASE, CM, {"json": {"QUANTITY": 3, "city": "London", "rangeSize": 10, "comment": "é\u2028"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "quantity": 500}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "areaCode": "0999"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "numberType": "TOLLFREE", "areaCode": "0800"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "callbackUrl": "https://example.com/hook?a=1"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "callbackUrl": "http://127.0.0.1:1/hook"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "callbackUrl": "ftp://example.com/hook"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "companyProfileId": CM_NEW_YORK, "areaCode": "212"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "companyProfileId": CM_NEW_YORK, "region": "NY"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "companyProfileId": "not-a-guid"}}),
        ("POST", CM_BASE, CM, {"json": {"quantity": 1}}),
        ("POST", CM_BASE, CM, {"json": {"areaCode": "020"}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "quantity": "one", "numberType": 1, "city": 7}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "quantity": 2**31, "rangeSize": 1.5}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "quantity": 0, "rangeSize": 7}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "comment": "x" * 1001, "city": "y" * 101}}),
        ("POST", CM_BASE, CM, {"json": {**CM_ORDER, "region": "a\u0000b"}}),
        ("POST", CM_BASE, CM, {"json": [CM_ORDER]}),
        ("POST", CM_BASE, CM, {"json": None}),
        ("POST", CM_BASE, CM_JSON, {"content": b""}),
        ("POST", CM_BASE, CM_JSON, {"content": b" \n"}),
        ("POST", CM_BASE, CM_JSON, {"content": b'{"quantity":'}),
        ("POST", CM_BASE, CM_JSON, {"content": b'{"quantity": NaN, "areaCode": "020"}'}),
        ("POST", CM_BASE, CM_JSON, {"content": b'{"areaCode": "\xff"}'}),
        ("POST", CM_BASE, {**CM, "Content-Type": "text/plain"}, {"content": json.dumps(CM_ORDER)}),
        ("POST", CM_BASE, CM, {"content": json.dumps(CM_ORDER)}),
        ("POST", CM_BASE, {**CM, "Content-Type": "application/problem+json; charset=utf-8"}, {"json": CM_ORDER}),
        ("POST", CM_BASE, {**CM, "Content-Type": "APPLICATION/JSON"}, {"content": json.dumps(CM_ORDER)}),
        ("POST", CM_BASE, CM, {"data": {"quantity": "1", "areaCode": "020"}}),
        ("POST", CM_BASE, {"X-CM-PRODUCTTOKEN": "not-a-guid"}, {"json": CM_ORDER}),
        ("POST", CM_BASE, {}, {"content": b"{not json", "headers": {"Content-Type": "text/plain"}}),
        ("POST", CM_BASE.replace("00000000-0000", "nope"), CM, {"json": CM_ORDER}),
        ("POST", CM_BASE.replace("00000000-0000", "nope"), CM, {"content": b"{", "headers": {"Content-Type": "x/y"}}),
        ("POST", CM_BASE, {**CM, "Origin": "https://example.com"}, {"json": CM_ORDER}),
        ("GET", CM_BASE, CM, {}),
    ]


HOT_ROUTES = {
    "GET /yay/voip/number-address",
    "POST /yay/voip/number-address",
    "GET /yay/voip/number-address/{uuid}",
    "GET /telcom/api/v2/numbers/list",
    "POST /telcom/api/v2/numbers/list",
    "GET /telcom/api/v2/numbers/info",
    "POST /telcom/api/v2/numbers/info",
    "POST /telcom/api/v2/numbers/save",
    "POST /telcom/api/v2/numbers/acquire",
    "GET /cloudlx/api/numbers",
    "GET /cloudlx/api/number/{uuid}",
    "POST /cloudlx/api/number-addresses/new",
    "PUT /cloudlx/api/number/{uuid}/reserve",
    "GET /cm/voice-phonenumberrequestapi/v1/{accountGuid}/numberrequests",
    "POST /cm/voice-phonenumberrequestapi/v1/{accountGuid}/numberrequests",
    "GET /cm/voice-phonenumberrequestapi/v1/{accountGuid}/numberrequests/{requestId}",
}


def test_every_hot_route_answers_byte_for_byte_as_the_route(clients):
    hot, plain = clients
    token = _cloudlx_token(plain)
    for method, path, headers, extra in _cases(token):
        request_headers = {**headers, **extra.pop("headers", {})}
        # Twice each: the second answer may come from the render cache.
        for _ in range(2):
            expected = plain.request(method, path, headers=request_headers, **extra)
            answered = hot.request(method, path, headers=request_headers, **extra)
            assert _seen(answered) == _seen(expected), (method, path, headers, extra)
    # The hot routes did answer (the plain cases), each of them.
    assert set(hot.app.state.hot_answers) == HOT_ROUTES
    assert not plain.app.state.hot_answers


def test_addresses_made_by_both_kinds_of_route_count_on(clients):
    hot, plain = clients
    token = _cloudlx_token(plain, "address-counter")
    bearer = {"Authorization": f"Bearer {token}"}
    ids = [
        client.post(ADDRESSES, headers=bearer, json=CLOUDLX_ADDRESS).json()["id"]
        for client in (hot, plain, hot, hot, plain)
    ]
    assert ids == list(range(ids[0], ids[0] + 5))


def test_a_hot_telcom_update_stores_what_it_answers(clients):
    hot, plain = clients
    for changes, destination in (
        ({"recording_enabled": True, "callerid_passthrough": False, "caller_id_prefix": "A: "}, None),
        (
            {"recording_enabled": False, "callerid_passthrough": True, "caller_id_prefix": ""},
            {"type": "CallGroup", "object": {"id": 119, "name": "Support"}},
        ),
    ):
        chosen = {"destination_type": "CallGroup", "destination_id": 119} if destination else {}
        answered = hot.post(SAVE, headers=TELCOM, json={"id": 3466, **changes, **chosen}).json()["data"]
        stored = plain.post("/telcom/api/v2/numbers/info", headers=TELCOM, json={"id": 3466}).json()["data"]
        # Shown to the millisecond, stored to the second.
        assert stored == {**answered, "updated_at": answered["updated_at"][:-4] + "000Z"}
        assert {name: answered[name] for name in changes} == changes
        if destination:
            assert answered["destination"] == destination


def test_a_hot_telcom_acquire_answers_as_the_route_and_stores_what_it_answers(clients):
    hot, plain = clients
    offered = plain.post("/telcom/api/v2/numbers/acquirable_numbers", headers=TELCOM, json={"prefix": "01234"})
    first, second = offered.json()["data"][:2]
    by_route = plain.post(ACQUIRE, headers=TELCOM, json={"number": first})
    by_hot = hot.post(ACQUIRE, headers=TELCOM, json={"number": second})
    assert by_hot.status_code == by_route.status_code == 200
    routed, answered = by_route.json()["data"], by_hot.json()["data"]
    assert answered["id"] == routed["id"] + 1 and answered["number"] == second
    moments = ("created_at", "updated_at")
    for body in (routed, answered):
        body.update(id=0, number="", **dict.fromkeys(moments, ""))
        body["aquisition"]["acquired_at"] = ""
    assert answered == routed
    again = hot.post(ACQUIRE, headers=TELCOM, json={"number": second}).json()["data"]
    assert again == {"code": "NumberNotAvailable", "message": f"The number {second} is not available"}
    listed = plain.post("/telcom/api/v2/numbers/list", headers=TELCOM, json={}).json()["data"]
    assert [n["number"] for n in listed if n["number"] in (first, second)] == [first, second]


def test_a_hot_cloudlx_reserve_answers_as_the_route_and_stores_it(clients):
    hot, plain = clients
    bearer = {"Authorization": f"Bearer {_cloudlx_token(plain, 'reserver')}"}
    first, second = (f"/cloudlx/api/number/{uuid}" for uuid in CLOUDLX_AVAILABLE)
    by_route = plain.put(first + "/reserve", headers=bearer)
    by_hot = hot.put(second + "/reserve", headers=bearer, json={"number_address_id": 1})
    assert _seen(by_hot) == _seen(by_route)
    assert by_hot.text == '{"result":"Number allocated to account successfully"}'
    detail = plain.get(second, headers=bearer).json()
    assert detail["uuid"] == CLOUDLX_AVAILABLE[1] and detail["status"] == "Reserved"
    assert detail["details"]["number_address"]["id"] == 1
    assert hot.put(second + "/reserve", headers=bearer).json() == {
        "message": "Number is not available.",
        "status_code": 409,
    }


def test_a_write_is_visible_to_the_next_read_in_either_process(clients):
    hot, plain = clients
    listed = hot.get(YAY_BASE, headers=YAY).json()["result"]
    created = plain.post(YAY_BASE, headers=YAY, json=ADDRESS)
    uuid = created.json()["result"]["uuid"]
    assert [a["uuid"] for a in hot.get(YAY_BASE, headers=YAY).json()["result"]] == [a["uuid"] for a in listed] + [uuid]
    assert hot.get(f"{YAY_BASE}/{uuid}", headers=YAY).json()["result"]["nickname"] == "Work Address"
    hot.put(f"{YAY_BASE}/{uuid}", headers=YAY, json={**ADDRESS, "nickname": "Home"})
    assert hot.get(f"{YAY_BASE}/{uuid}", headers=YAY).json()["result"]["nickname"] == "Home"
    plain.put(f"{YAY_BASE}/{uuid}", headers=YAY, json={**ADDRESS, "nickname": "Office"})
    assert hot.get(f"{YAY_BASE}/{uuid}", headers=YAY).json()["result"]["nickname"] == "Office"
    plain.delete(f"{YAY_BASE}/{uuid}", headers=YAY)
    assert hot.get(f"{YAY_BASE}/{uuid}", headers=YAY).status_code == 404

    # A CloudLX token revoked by a refresh (in the other process) is refused at once.
    token = _cloudlx_token(hot)
    bearer = {"Authorization": f"Bearer {token}"}
    assert hot.get("/cloudlx/api/numbers", headers=bearer).status_code == 200
    issued = plain.post(
        "/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": "hot-client", "client_secret": "secret"},
        headers=CLOUDLX_ACCEPT,
    ).json()
    refreshed = plain.post(
        "/cloudlx/api/oauth2/refresh-token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": "hot-client",
            "client_secret": "secret",
        },
        headers=CLOUDLX_ACCEPT,
    )
    assert refreshed.status_code == 200, refreshed.text
    old = {"Authorization": f"Bearer {issued['access_token']}"}
    assert hot.get("/cloudlx/api/numbers", headers=old).status_code == 401


def test_the_journal_records_what_the_hot_routes_answered(clients):
    hot, _plain = clients
    hot.delete("/_emulator/requests")
    answer = hot.get(YAY_DOCUMENTED, headers=YAY)
    hot.get(f"{CM_BASE}/{CM_REQUEST}", headers=CM)
    [entry] = hot.get("/_emulator/requests", params={"provider": "yay"}).json()
    assert (entry["method"], entry["path"], entry["status"], entry["tenant"]) == (
        "GET",
        "/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6",
        200,
        "hot",
    )
    assert entry["response_body"] == answer.text
    [cm] = hot.get("/_emulator/requests", params={"provider": "cm"}).json()
    assert cm["status"] == 200 and cm["tenant"] != CM["X-CM-PRODUCTTOKEN"]  # shown masked, as ever


def test_fault_rules_act_on_the_hot_routes(clients):
    hot, _plain = clients
    rule = hot.post(
        "/_emulator/faults", json={"provider": "yay", "path": "/voip/number-address/*", "kind": "error", "status": 503}
    )
    assert rule.status_code in (200, 201), rule.text
    faulted = hot.get(YAY_DOCUMENTED, headers=YAY)
    assert (faulted.status_code, faulted.json()["status_message"]) == (503, "Service Unavailable")
    hot.delete("/_emulator/faults")

    # A tenant's rule acts once the hot route names the tenant; another tenant is untouched.
    hot.post(
        "/_emulator/faults", json={"provider": "cm", "tenant": CM["X-CM-PRODUCTTOKEN"], "kind": "error", "status": 429}
    )
    limited = hot.get(f"{CM_BASE}/{CM_REQUEST}", headers=CM)
    assert limited.status_code == 429 and limited.headers["retry-after"]
    other = {"X-CM-PRODUCTTOKEN": "11111111-2222-3333-4444-555555555555"}
    assert hot.get(CM_BASE, headers=other).status_code == 200
    hot.delete("/_emulator/faults")
    assert hot.get(f"{CM_BASE}/{CM_REQUEST}", headers=CM).status_code == 200


def test_metrics_file_hot_answers_under_the_route_template(clients):
    hot, plain = clients
    for client in (hot, plain):
        client.get(YAY_DOCUMENTED, headers=YAY)
        client.get("/telcom/api/v2/numbers/list", headers=TELCOM)
    metrics = [client.get("/_emulator/metrics").text for client in (hot, plain)]
    for text in metrics:
        assert 'route="/voip/number-address/{uuid}",status="200"' in text
        assert 'route="/api/{path:path}",status="200"' in text
