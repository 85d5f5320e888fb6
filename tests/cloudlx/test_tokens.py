"""OAuth2 client credentials: tokens live 3600 s of the emulator's clock, refresh tokens 7 days,
a refresh retires the old pair, and a token only ever reaches its own client's tenant."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.cloudlx.helpers import ACCEPT, BAD_CREDENTIALS, BASE, advance, freeze
from tests.support import EmulatorProcess

pytestmark = pytest.mark.each_backend


def _issue(client, tenant="tenant-1", secret="secret", **extra) -> dict:
    response = client.post(
        f"{BASE}/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": tenant, "client_secret": secret},
        **extra,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _numbers(client, access_token: str):
    return client.get(f"{BASE}/numbers", headers={**ACCEPT, "Authorization": f"Bearer {access_token}"})


def _refresh(client, refresh_token: str, tenant="tenant-1", secret="secret"):
    return client.post(
        f"{BASE}/oauth2/refresh-token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": tenant,
            "client_secret": secret,
        },
    )


def test_token_expires_after_an_hour_of_emulator_time(client):
    freeze(client, "2024-01-01T00:00:00Z")
    issued = _issue(client)
    advance(client, 3599)
    assert _numbers(client, issued["access_token"]).status_code == 200
    advance(client, 1)
    expired = _numbers(client, issued["access_token"])
    assert (expired.status_code, expired.text) == (401, BAD_CREDENTIALS)


def test_refresh_gives_a_new_pair_and_retires_the_old(client):
    freeze(client, "2024-01-01T00:00:00Z")
    issued = _issue(client)
    advance(client, 3600)
    refreshed = _refresh(client, issued["refresh_token"])
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert body["access_token"] != issued["access_token"] and body["refresh_token"] != issued["refresh_token"]
    assert _numbers(client, body["access_token"]).status_code == 200
    # The used refresh token cannot be used again.
    assert _refresh(client, issued["refresh_token"]).status_code == 400


def test_refresh_retires_the_old_access_token_at_once(client):
    issued = _issue(client)
    assert _refresh(client, issued["refresh_token"]).status_code == 200
    assert _numbers(client, issued["access_token"]).status_code == 401


def test_refresh_token_expires_after_seven_days(client):
    freeze(client, "2024-01-01T00:00:00Z")
    issued = _issue(client)
    advance(client, 604800)
    assert (
        _refresh(client, issued["refresh_token"]).text
        == '{"message":"The refresh token is invalid.","status_code":400}'
    )


def test_refresh_token_belongs_to_its_client(client):
    issued = _issue(client, "tenant-1")
    assert _refresh(client, issued["refresh_token"], tenant="tenant-2").status_code == 400
    # ... and the rejected attempt did not spend it.
    assert _refresh(client, issued["refresh_token"]).status_code == 200


def test_json_body_and_basic_auth_are_accepted(client):
    by_json = client.post(
        f"{BASE}/oauth2/access-token",
        json={"grant_type": "client_credentials", "client_id": "tenant-1", "client_secret": "secret"},
    )
    assert by_json.status_code == 200
    basic = base64.b64encode(b"tenant-1:secret").decode()
    by_basic = client.post(
        f"{BASE}/oauth2/access-token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.status_code == 200


def test_wrong_grant_on_each_endpoint(client):
    issued = _issue(client)
    swapped = client.post(
        f"{BASE}/oauth2/access-token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": "tenant-1",
            "client_secret": "secret",
        },
    )
    assert swapped.status_code == 400 and "not supported" in swapped.json()["message"]


def test_non_string_parameters_are_invalid_requests(client):
    response = client.post(
        f"{BASE}/oauth2/access-token", json={"grant_type": "client_credentials", "client_id": 5, "client_secret": "x"}
    )
    assert response.status_code == 400 and '\\"client_id\\"' in response.text


def test_tenants_are_isolated(client):
    one = {**ACCEPT, "Authorization": f"Bearer {_issue(client, 'tenant-1')['access_token']}"}
    two = {**ACCEPT, "Authorization": f"Bearer {_issue(client, 'tenant-2')['access_token']}"}
    uuid = client.get(f"{BASE}/available_numbers", headers=one).json()["available_numbers"][0]["uuid"]
    assert client.put(f"{BASE}/number/{uuid}/reserve", headers=one).status_code == 200
    assert client.get(f"{BASE}/numbers", headers=one).json()["num_results"] == 2
    # Tenant two has its own copy of the world: its pool still holds that number, its account does not.
    assert client.get(f"{BASE}/numbers", headers=two).json()["num_results"] == 1
    assert client.get(f"{BASE}/number/{uuid}", headers=two).status_code == 404
    assert client.put(f"{BASE}/number/{uuid}/reserve", headers=two).status_code == 200


def test_reset_restores_numbers_and_revokes_tokens(client):
    headers = {**ACCEPT, "Authorization": f"Bearer {_issue(client)['access_token']}"}
    assert client.delete(f"{BASE}/number/7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f", headers=headers).status_code == 200
    assert client.get(f"{BASE}/numbers", headers=headers).json()["num_results"] == 0
    assert client.post("/_emulator/reset", params={"provider": "cloudlx"}).status_code == 200
    # The issued tokens were the tenant's state too: the client authenticates again.
    assert client.get(f"{BASE}/numbers", headers=headers).status_code == 401
    headers = {**ACCEPT, "Authorization": f"Bearer {_issue(client)['access_token']}"}
    assert client.get(f"{BASE}/numbers", headers=headers).json()["num_results"] == 1


def test_only_listed_clients_get_tokens_when_credentials_are_configured(tmp_path):
    env = {"EMULATOR_CREDENTIALS": json.dumps({"cloudlx": [["known", "right"]]})}
    with EmulatorProcess(f"sqlite:///{tmp_path / 'e.sqlite3'}", env=env) as emulator:
        url = f"{emulator.base_url}{BASE}/oauth2/access-token"
        wrong = httpx.post(
            url, data={"grant_type": "client_credentials", "client_id": "known", "client_secret": "wrong"}
        )
        assert (wrong.status_code, wrong.text) == (401, '{"message":"Client authentication failed.","status_code":401}')
        right = httpx.post(
            url, data={"grant_type": "client_credentials", "client_id": "known", "client_secret": "right"}
        )
        assert right.status_code == 200
        numbers = httpx.get(
            f"{emulator.base_url}{BASE}/numbers", headers={"Authorization": f"Bearer {right.json()['access_token']}"}
        )
        assert numbers.status_code == 200 and numbers.json()["num_results"] == 1
