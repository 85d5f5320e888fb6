"""Every documented CloudLX example, replayed against the default fixtures, compared as literal text."""

from __future__ import annotations

import pytest

from tests.cloudlx.helpers import (
    ACCEPT,
    BAD_CREDENTIALS,
    BASE,
    DOCUMENTED_UUID,
    auth,
    compact,
    freeze,
)
from tests.support import CLOUDLX_ADDRESS

pytestmark = pytest.mark.each_backend

# The seed's example, verbatim (including the docs' own `"details" : {` spacing).
DOCUMENTED_LIST = """{
"numbers": [
{
"uuid": "7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f",
"number_e164": "+441245123456",
"number": "123456",
"range_code": "1245",
"range_name": "Chelmsford",
"country_code": "44",
"country_name": "United Kingdom",
"country_iso": "UK",
"monthly_charge": 0.3,
"setup_charge": 0,
"status": "Reserved",
"details" : {
"status": "Reserved",
"provisioned": "2018-11-12 14:21:48",
"cancelled": "",
"number_address": {
"id": 1,
"name": "Main office",
"useForProofOfAddress": true,
"useForEmergencyAddress": false,
"addressLine1": "7800 Alexander Road",
"addressLine2": "",
"addressCity": "London",
"addressRegion": "London",
"addressPostalCode": "NW2 1AA",
"addressCountry": {
"name": "United Kingdom",
"iso": "GB"
}
},
"emergency_number_address": {
"id": 2,
"name": "Other Main office",
"useForProofOfAddress": false,
"useForEmergencyAddress": true,
"addressLine1": "7801 Alexander Road",
"addressLine2": "",
"addressCity": "London",
"addressRegion": "London",
"addressPostalCode": "NW2 1AA",
"addressCountry": {
"name": "United Kingdom",
"iso": "GB"
}
}
},
"provisioned": "2016-01-03 17:48:59"
}
],
"num_results": 1,
"paginates": false
}"""

DOCUMENTED_ITEM = DOCUMENTED_LIST[len('{\n"numbers": [\n') : DOCUMENTED_LIST.index('\n],\n"num_results"')]

DOCUMENTED_DETAIL = (
    DOCUMENTED_ITEM[:-2]
    + """,
"number_translations": {
"all": "441245123456"
}
}"""
)

DOCUMENTED_CANCELLED = """{
"numbers": [
{
"uuid": "84436b07-5aa7-481e-bc04-86b7a425b54c",
"number_e164": "+441245123456",
"number": "123456",
"range_code": "1245",
"range_name": "Chelmsford",
"country_code": "44",
"country_name": "United Kingdom",
"country_iso": "UK",
"monthly_charge": 0.3,
"setup_charge": 0,
"status": "Cancelled",
"provisioned": "2016-01-04 11:26:50",
"cancelled": "2016-01-04 11:27:00"
}
],
"num_results": 1,
"paginates": false
}"""

DOCUMENTED_RESTRICTIONS = r"""{
"number_restrictions": {
"country": {
"name": "United Kingdom",
"iso": "GB"
},
"number_service_type": {
"id": 1,
"name": "Geographic",
"code": "GEOGRAPHIC"
},
"restrictions": [
"Business use: address details \n",
"Business use required",
"Porting Available"
]
}
}"""

DOCUMENTED_ADDRESS_REQUEST = CLOUDLX_ADDRESS


def test_documented_list_is_returned_byte_for_byte(client):
    response = client.get(f"{BASE}/numbers", headers=auth(client))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == compact(DOCUMENTED_LIST)


def test_documented_detail_adds_number_translations(client):
    response = client.get(f"{BASE}/number/{DOCUMENTED_UUID}", headers=auth(client))
    assert response.status_code == 200
    assert response.text == compact(DOCUMENTED_DETAIL)


def test_documented_cancelled_list(client):
    response = client.get(f"{BASE}/numbers/cancelled", headers=auth(client))
    assert response.text == compact(DOCUMENTED_CANCELLED)


def test_documented_restrictions_keep_the_escaped_newline(client):
    response = client.get(
        f"{BASE}/number-restrictions",
        params={"country_iso": "GB", "number_service_type_code": "GEOGRAPHIC"},
        headers=auth(client),
    )
    assert response.status_code == 200
    assert response.text == compact(DOCUMENTED_RESTRICTIONS)
    assert "address details \\n" in response.text


def test_documented_address_creation_gets_the_next_id(client):
    headers = auth(client)
    response = client.post(f"{BASE}/number-addresses/new", json=DOCUMENTED_ADDRESS_REQUEST, headers=headers)
    assert response.status_code == 200
    assert response.text == '{"id":3,"message":"Address added successfully."}'
    again = client.post(f"{BASE}/number-addresses/new", json=DOCUMENTED_ADDRESS_REQUEST, headers=headers)
    assert again.text == '{"id":4,"message":"Address added successfully."}'


def test_documented_reserve_result(client):
    headers = auth(client)
    available = client.get(f"{BASE}/available_numbers", headers=headers).json()["available_numbers"][0]
    response = client.put(
        f"{BASE}/number/{available['uuid']}/reserve",
        json={"number_translation": {"all": "44203555555"}, "number_address_id": 1, "emergency_number_address_id": 2},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.text == '{"result":"Number allocated to account successfully"}'


def test_token_response_shape(client):
    response = client.post(
        f"{BASE}/oauth2/access-token",
        json={"grant_type": "client_credentials", "client_id": "acme", "client_secret": "s3cret"},
        headers=ACCEPT,
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) == 40 and body["access_token"].isalnum()
    assert response.text == (
        f'{{"access_token":"{body["access_token"]}","token_type":"Bearer","expires_in":3600,'
        f'"refresh_token":"{body["refresh_token"]}"}}'
    )


def test_reserved_number_timestamps_follow_the_clock(client):
    headers = auth(client)
    freeze(client, "2024-03-05T06:07:08Z")
    uuid = client.get(f"{BASE}/available_numbers", headers=headers).json()["available_numbers"][0]["uuid"]
    assert client.put(f"{BASE}/number/{uuid}/reserve", headers=headers).status_code == 200
    detail = client.get(f"{BASE}/number/{uuid}", headers=headers).json()
    assert detail["provisioned"] == detail["details"]["provisioned"] == "2024-03-05 06:07:08"
    assert detail["details"]["cancelled"] == ""
    assert detail["details"]["number_address"] is None and detail["details"]["emergency_number_address"] is None
    assert detail["number_translations"] == {"all": detail["number_e164"][1:]}


# --- error bodies, literally ---------------------------------------------------------------------


def test_missing_token(client):
    response = client.get(f"{BASE}/numbers", headers=ACCEPT)
    assert response.status_code == 401
    assert response.text == BAD_CREDENTIALS


def test_unknown_and_malformed_tokens(client):
    for value in ("Bearer nope", "Bearer ", "Basic dXNlcjpwYXNz", "nonsense"):
        response = client.get(f"{BASE}/numbers", headers={**ACCEPT, "Authorization": value})
        assert (response.status_code, response.text) == (401, BAD_CREDENTIALS)


def test_unknown_route(client):
    response = client.get(f"{BASE}/nothing-here", headers=auth(client))
    assert (response.status_code, response.text) == (404, '{"message":"404 Not Found","status_code":404}')


def test_path_the_mount_cannot_route_still_gets_dingo_404(client):
    response = client.get("/cloudlx/api/x%0Ay")
    assert (response.status_code, response.text) == (404, '{"message":"404 Not Found","status_code":404}')


def test_wrong_method(client):
    response = client.delete(f"{BASE}/numbers", headers=auth(client))
    assert (response.status_code, response.text) == (405, '{"message":"405 Method Not Allowed","status_code":405}')
    assert response.headers["allow"] == "GET"


def test_unknown_api_version(client):
    response = client.get(f"{BASE}/numbers", headers={**auth(client), "Accept": "application/vnd.cloudlx.v2+json"})
    assert response.status_code == 400
    assert response.text == '{"message":"The version given was unknown or has no registered routes.","status_code":400}'


def test_unsupported_format(client):
    response = client.get(f"{BASE}/numbers", headers={**auth(client), "Accept": "application/vnd.cloudlx.v1+xml"})
    assert response.status_code == 406
    assert response.text == '{"message":"Unable to format response according to Accept header.","status_code":406}'


def test_any_other_accept_header_means_v1(client):
    headers = auth(client)
    for accept in ("application/json", "*/*", "text/html"):
        assert client.get(f"{BASE}/numbers", headers={**headers, "Accept": accept}).status_code == 200


def test_listing_validation(client):
    response = client.get(
        f"{BASE}/numbers", params={"max_per_page": "500", "page": "abc", "search": "12a"}, headers=auth(client)
    )
    assert response.status_code == 422
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{'
        '"search":["The search format is invalid."],'
        '"max_per_page":["The max per page must be between 1 and 200."],'
        '"page":["The page must be an integer."]},"status_code":422}'
    )


@pytest.mark.parametrize("key", ["page", "max_per_page"])
def test_an_integer_of_thousands_of_digits_is_laravels_422_not_a_500(client, key):
    response = client.get(f"{BASE}/numbers", params={key: "9" * 5000}, headers=auth(client))
    assert response.status_code == 422
    name = key.replace("_", " ")
    assert f'"{key}":["The {name} must be an integer."]' in response.text


def test_page_below_one(client):
    response = client.get(f"{BASE}/numbers", params={"page": "0"}, headers=auth(client))
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{"page":["The page must be at least 1."]},"status_code":422}'
    )


def test_unknown_service_type(client):
    response = client.get(
        f"{BASE}/available_numbers", params={"number_service_type": "toll free"}, headers=auth(client)
    )
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{"number_service_type":'
        '["The selected number service type is invalid."]},"status_code":422}'
    )


def test_unknown_number(client):
    response = client.get(f"{BASE}/number/00000000-0000-4000-8000-000000000000", headers=auth(client))
    assert (response.status_code, response.text) == (404, '{"message":"Number not found.","status_code":404}')


def test_reserving_a_reserved_number(client):
    response = client.put(f"{BASE}/number/{DOCUMENTED_UUID}/reserve", headers=auth(client))
    assert (response.status_code, response.text) == (409, '{"message":"Number is not available.","status_code":409}')


def test_address_validation(client):
    response = client.post(
        f"{BASE}/number-addresses/new",
        json={**DOCUMENTED_ADDRESS_REQUEST, "name": "", "address_country": "XX", "use_for_emergency_address": "yes"},
        headers=auth(client),
    )
    assert response.status_code == 422
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{'
        '"name":["The name field is required."],'
        '"address_country":["The selected address country is invalid."],'
        '"use_for_emergency_address":["The use for emergency address field must be true or false."]},'
        '"status_code":422}'
    )


def test_address_needs_a_use(client):
    request = {**DOCUMENTED_ADDRESS_REQUEST, "use_for_emergency_address": False}
    response = client.post(f"{BASE}/number-addresses/new", json=request, headers=auth(client))
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{"use_for_emergency_address":'
        '["At least one use_for_* parameter must be true."]},"status_code":422}'
    )


def test_malformed_json_body(client):
    response = client.post(
        f"{BASE}/number-addresses/new",
        content=b'{"name": ',
        headers={**auth(client), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body could not be read:")
    assert list(response.json()) == ["message", "status_code"]


def test_restrictions_validation(client):
    response = client.get(f"{BASE}/number-restrictions", params={"country_iso": "ZZ"}, headers=auth(client))
    assert response.text == (
        '{"message":"422 Unprocessable Entity","errors":{'
        '"country_iso":["The selected country iso is invalid."],'
        '"number_service_type_code":["The number service type code field is required."]},"status_code":422}'
    )


def test_restrictions_of_other_countries_are_empty(client):
    response = client.get(
        f"{BASE}/number-restrictions",
        params={"country_iso": "FR", "number_service_type_code": "MOBILE"},
        headers=auth(client),
    )
    assert response.text == (
        '{"number_restrictions":{"country":{"name":"France","iso":"FR"},'
        '"number_service_type":{"id":4,"name":"Mobile","code":"MOBILE"},"restrictions":[]}}'
    )


def test_unknown_country(client):
    response = client.get(f"{BASE}/available_numbers/country/zz", headers=auth(client))
    assert (response.status_code, response.text) == (404, '{"message":"Country not found.","status_code":404}')


def test_oauth_errors(client):
    url = f"{BASE}/oauth2/access-token"
    missing = client.post(url, data={"grant_type": "client_credentials", "client_secret": "x"})
    assert (missing.status_code, missing.text) == (
        400,
        (
            '{"message":"The request is missing a required parameter, includes an invalid parameter value, includes '
            'a parameter more than once, or is otherwise malformed. Check the \\"client_id\\" parameter.",'
            '"status_code":400}'
        ),
    )
    grant = client.post(url, data={"grant_type": "password", "client_id": "a", "client_secret": "b"})
    assert (grant.status_code, grant.text) == (
        400,
        (
            '{"message":"The authorization grant type \\"password\\" is not supported by the authorization '
            'server.","status_code":400}'
        ),
    )
    empty = client.post(url, data={"grant_type": "client_credentials", "client_id": "", "client_secret": "b"})
    assert (empty.status_code, empty.text) == (401, '{"message":"Client authentication failed.","status_code":401}')
    refresh = client.post(
        f"{BASE}/oauth2/refresh-token",
        data={"grant_type": "refresh_token", "client_id": "a", "client_secret": "b", "refresh_token": "nope"},
    )
    assert (refresh.status_code, refresh.text) == (400, '{"message":"The refresh token is invalid.","status_code":400}')
