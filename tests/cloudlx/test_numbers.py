"""Listings: paging, search, the available pool and its filters; the reserve/cancel life cycle;
rejected requests leave everything as it was."""

from __future__ import annotations

import pytest

from tests.cloudlx.helpers import BASE, DOCUMENTED_UUID, auth, freeze, generate

pytestmark = pytest.mark.each_backend

TENANT = "big"


@pytest.fixture
def filled(client):
    """A tenant with 250 generated numbers besides the documented one (251 in the account)."""
    headers = auth(client, TENANT)
    assert generate(client, TENANT, 250, seed=7) == 250
    return headers


def _page(client, headers, **params) -> dict:
    response = client.get(f"{BASE}/numbers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_default_page_is_fifty(client, filled):
    body = _page(client, filled)
    assert list(body) == ["numbers", "num_results", "paginates"]
    assert (len(body["numbers"]), body["num_results"], body["paginates"]) == (50, 251, True)


def test_pages_cover_every_number_once_in_order(client, filled):
    seen = []
    for page in range(1, 4):
        body = _page(client, filled, max_per_page=100, page=page)
        assert body["num_results"] == 251 and body["paginates"] is True
        seen += [number["number_e164"] for number in body["numbers"]]
    assert [len(seen[:100]), len(seen[100:200]), len(seen[200:])] == [100, 100, 51]
    assert seen == sorted(seen) and len(set(seen)) == 251


def test_last_and_past_the_end_pages(client, filled):
    last = _page(client, filled, max_per_page=200, page=2)
    assert (len(last["numbers"]), last["num_results"], last["paginates"]) == (51, 251, True)
    past = _page(client, filled, max_per_page=200, page=3)
    assert (past["numbers"], past["num_results"], past["paginates"]) == ([], 251, True)
    huge = _page(client, filled, page=9223372036854775807)
    assert (huge["numbers"], huge["num_results"]) == ([], 251)


def test_everything_fits_on_one_page(client, filled):
    body = _page(client, filled, max_per_page=200, search="44")
    assert body["num_results"] == 251 and body["paginates"] is True
    small = _page(client, auth(client, "small"), max_per_page=1)
    assert (small["num_results"], small["paginates"]) == (1, False)


def test_search_matches_digits_anywhere(client, filled):
    everything = [
        n["number_e164"] for page in (1, 2) for n in _page(client, filled, max_per_page=200, page=page)["numbers"]
    ]
    for digits in ("123", "77", "800", "1245123456"):
        body = _page(client, filled, search=digits, max_per_page=200)
        expected = sorted(number for number in everything if digits in number)
        assert [n["number_e164"] for n in body["numbers"]] == expected
        assert body["num_results"] == len(expected) and body["paginates"] is (len(expected) > 200)
    assert _page(client, filled, search="99999999999")["num_results"] == 0
    assert _page(client, filled, search="")["num_results"] == 251


def test_generated_numbers_render_like_the_documented_one(client, filled):
    number = _page(client, filled, max_per_page=1, page=2)["numbers"][0]
    assert list(number) == [
        "uuid",
        "number_e164",
        "number",
        "range_code",
        "range_name",
        "country_code",
        "country_name",
        "country_iso",
        "monthly_charge",
        "setup_charge",
        "status",
        "details",
        "provisioned",
    ]
    assert number["country_iso"] == "UK" and number["status"] == number["details"]["status"] == "Reserved"
    assert number["number_e164"] == "+44" + number["range_code"] + number["number"]


def test_available_pool_filters_by_service_type(client):
    headers = auth(client)
    everything = client.get(f"{BASE}/available_numbers", headers=headers).json()
    assert everything["num_results"] == 44 and len(everything["available_numbers"]) == 44
    assert everything["paginates"] is False
    counts = {}
    for service_type in ("GEOGRAPHIC", "TOLL FREE", "MOBILE", "PREMIUM"):
        body = client.get(
            f"{BASE}/available_numbers", params={"number_service_type": service_type}, headers=headers
        ).json()
        counts[service_type] = body["num_results"]
        names = {n["range_name"] for n in body["available_numbers"]}
        if service_type == "TOLL FREE":
            assert names == {"Freephone"} and all(
                n["number_e164"].startswith("+4480") for n in body["available_numbers"]
            )
        if service_type == "MOBILE":
            assert names == {"Mobile"} and all(n["number_e164"].startswith("+447") for n in body["available_numbers"])
    assert counts == {"GEOGRAPHIC": 24, "TOLL FREE": 8, "MOBILE": 8, "PREMIUM": 4}
    item = everything["available_numbers"][0]
    assert list(item)[-5:] == ["per_minute_charge", "setup", "no_pricing", "pricing_currency", "status"]
    assert item["status"] == "Available"


def test_country_endpoint(client):
    headers = auth(client)
    uk = client.get(f"{BASE}/available_numbers/country/uk", headers=headers).json()
    gb = client.get(f"{BASE}/available_numbers/country/GB", headers=headers).json()
    assert uk == gb and uk["num_results"] == 44
    assert client.get(f"{BASE}/available_numbers/country/fr", headers=headers).json() == {
        "available_numbers": [],
        "num_results": 0,
        "paginates": False,
    }


def test_charges_render_like_php(client):
    headers = auth(client)
    body = client.get(
        f"{BASE}/available_numbers", params={"number_service_type": "GEOGRAPHIC", "max_per_page": 1}, headers=headers
    )
    assert '"monthly_charge":0.3,"setup_charge":0,"per_minute_charge":0.85,"setup":0.05,' in body.text
    toll_free = client.get(
        f"{BASE}/available_numbers", params={"number_service_type": "TOLL FREE", "max_per_page": 1}, headers=headers
    )
    assert '"monthly_charge":1.5,"setup_charge":5,' in toll_free.text


def test_reserve_and_cancel_life_cycle(client):
    headers = auth(client)
    freeze(client, "2024-02-03T04:05:06Z")
    pool = client.get(f"{BASE}/available_numbers", headers=headers).json()
    uuid = pool["available_numbers"][0]["uuid"]
    assert (
        client.put(
            f"{BASE}/number/{uuid}/reserve",
            headers=headers,
            json={"number_address_id": 1, "emergency_number_address_id": 2},
        ).status_code
        == 200
    )
    after = client.get(f"{BASE}/available_numbers", headers=headers).json()
    assert after["num_results"] == pool["num_results"] - 1
    assert uuid not in [n["uuid"] for n in after["available_numbers"]]
    numbers = client.get(f"{BASE}/numbers", headers=headers).json()
    assert numbers["num_results"] == 2 and uuid in [n["uuid"] for n in numbers["numbers"]]
    detail = client.get(f"{BASE}/number/{uuid}", headers=headers).json()
    assert detail["details"]["number_address"]["id"] == 1 and detail["details"]["emergency_number_address"]["id"] == 2

    client.post("/_emulator/clock/advance", json={"seconds": 60})
    cancelled = client.delete(f"{BASE}/number/{uuid}", headers=headers)
    assert (cancelled.status_code, cancelled.text) == (200, '{"result":"Number cancelled successfully"}')
    assert client.get(f"{BASE}/numbers", headers=headers).json()["num_results"] == 1
    assert client.get(f"{BASE}/number/{uuid}", headers=headers).status_code == 404
    listed = client.get(f"{BASE}/numbers/cancelled", headers=headers).json()
    entry = next(n for n in listed["numbers"] if n["uuid"] == uuid)
    assert (entry["status"], entry["provisioned"], entry["cancelled"]) == (
        "Cancelled",
        "2024-02-03 04:05:06",
        "2024-02-03 04:06:06",
    )
    # Cancelled numbers do not go back to the pool, and cannot be cancelled or reserved again.
    assert client.get(f"{BASE}/available_numbers", headers=headers).json()["num_results"] == pool["num_results"] - 1
    assert client.delete(f"{BASE}/number/{uuid}", headers=headers).status_code == 404
    assert client.put(f"{BASE}/number/{uuid}/reserve", headers=headers).status_code == 409


def test_translations_are_kept_as_given(client):
    headers = auth(client)
    toll_free = client.get(
        f"{BASE}/available_numbers", params={"number_service_type": "TOLL FREE"}, headers=headers
    ).json()["available_numbers"][0]["uuid"]
    translation = {"payphone": None, "fixed": "80011111111", "mobile": "80011111112"}
    assert (
        client.put(
            f"{BASE}/number/{toll_free}/reserve", json={"number_translation": translation}, headers=headers
        ).status_code
        == 200
    )
    detail = client.get(f"{BASE}/number/{toll_free}", headers=headers)
    assert detail.text.endswith(
        ',"number_translations":{"fixed":"80011111111","mobile":"80011111112","payphone":null}}'
    )


def test_bulk_reserve(client):
    headers = auth(client)
    freeze(client, "2024-02-03T04:05:06Z")
    pool = [n["uuid"] for n in client.get(f"{BASE}/available_numbers", headers=headers).json()["available_numbers"]]
    response = client.post(
        f"{BASE}/numbers/reserve",
        json={
            "number_uuids": pool[:3],
            "activate_on": "2024-03-01",
            "number_translations": [{"number_uuid": pool[0], "all": "442034444444"}],
            "number_addresses": [{"number_uuid": pool[1], "address_id": 1}],
        },
        headers=headers,
    )
    assert (response.status_code, response.text) == (200, '{"result":"Numbers allocated to account successfully"}')
    first = client.get(f"{BASE}/number/{pool[0]}", headers=headers).json()
    assert first["number_translations"] == {"all": "442034444444"}
    assert (first["provisioned"], first["details"]["provisioned"]) == ("2024-02-03 04:05:06", "2024-03-01 00:00:00")
    assert client.get(f"{BASE}/number/{pool[1]}", headers=headers).json()["details"]["number_address"]["id"] == 1
    assert client.get(f"{BASE}/numbers", headers=headers).json()["num_results"] == 4


def _state(client, headers) -> tuple:
    return tuple(
        client.get(url, params={"max_per_page": 200}, headers=headers).text
        for url in (f"{BASE}/numbers", f"{BASE}/numbers/cancelled", f"{BASE}/available_numbers")
    )


def test_rejected_requests_change_nothing(client):
    headers = auth(client)
    pool = [n["uuid"] for n in client.get(f"{BASE}/available_numbers", headers=headers).json()["available_numbers"]]
    before = _state(client, headers)
    rejected = [
        # bulk: one number already reserved, so none is taken
        client.post(f"{BASE}/numbers/reserve", json={"number_uuids": [pool[0], DOCUMENTED_UUID]}, headers=headers),
        # bulk: one unknown number
        client.post(f"{BASE}/numbers/reserve", json={"number_uuids": [pool[0], "nope"]}, headers=headers),
        # bulk: duplicates, an address that does not exist, a stray translation
        client.post(f"{BASE}/numbers/reserve", json={"number_uuids": [pool[0], pool[0]]}, headers=headers),
        client.post(
            f"{BASE}/numbers/reserve",
            json={"number_uuids": [pool[0]], "number_addresses": [{"number_uuid": pool[0], "address_id": 99}]},
            headers=headers,
        ),
        client.post(
            f"{BASE}/numbers/reserve",
            json={"number_uuids": [pool[0]], "number_translations": [{"number_uuid": pool[1], "all": "4420"}]},
            headers=headers,
        ),
        # single: unknown address, malformed translation, wrong types, no token
        client.put(f"{BASE}/number/{pool[0]}/reserve", json={"number_address_id": 99}, headers=headers),
        client.put(f"{BASE}/number/{pool[0]}/reserve", json={"number_translation": {"all": "+44 20"}}, headers=headers),
        client.put(f"{BASE}/number/{pool[0]}/reserve", json={"number_address_id": "1"}, headers=headers),
        client.put(f"{BASE}/number/{pool[0]}/reserve"),
        client.delete(f"{BASE}/number/{pool[0]}", headers=headers),
        client.delete(f"{BASE}/number/{DOCUMENTED_UUID}"),
        client.post(f"{BASE}/number-addresses/new", json={"name": "x"}, headers=headers),
    ]
    assert [r.status_code for r in rejected] == [409, 404, 422, 404, 404, 404, 422, 422, 401, 404, 401, 422]
    assert _state(client, headers) == before
    created = client.post(
        f"{BASE}/number-addresses/new",
        headers=headers,
        json={
            "name": "n",
            "address_line_1": "l",
            "address_city": "c",
            "address_region": "r",
            "address_postal_code": "p",
            "address_country": "GB",
            "use_for_proof_of_address": True,
        },
    )
    assert created.json()["id"] == 3  # the rejected creation took no id
