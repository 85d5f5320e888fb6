"""Every provider says how to make a test's own credentials, and they really authenticate: the
request lands in the tenant the credentials name."""

from __future__ import annotations

import pytest

from emulator.control.tenant_names import mask
from emulator.providers import load_providers

PROVIDERS = {provider.name: provider for provider in load_providers()}


def _first_call(client, name: str, fields: dict[str, str]):
    """One authenticated call per provider, made the way its clients make it."""
    if name == "yay":
        return client.get("/yay/voip/number-address", headers=fields)
    if name == "telcom":
        return client.post("/telcom/api/v2/numbers/list", headers=fields)
    if name == "cloudlx":
        token = client.post("/cloudlx/api/oauth2/access-token", data=fields).json()["access_token"]
        return client.get("/cloudlx/api/numbers", headers={"Authorization": f"Bearer {token}"})
    if name == "cm":
        account = "7d5f3c1e-2b8a-4c9d-9e0f-1a2b3c4d5e6f"
        return client.get(f"/cm/voice-phonenumberrequestapi/v1/{account}/numberrequests", headers=fields)
    raise AssertionError(f"no first call written for provider {name!r}")


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_per_test_credentials_authenticate_as_their_tenant(client, name):
    credentials = PROVIDERS[name].credentials_for
    assert credentials is not None, f"{name} must implement credentials_for for the pytest plugin"
    made = credentials("test-7f3a")
    response = _first_call(client, name, made.fields)
    assert response.status_code == 200, response.text
    if name == "telcom":
        assert response.json()["status"] == "success"
    tenants = {(t["provider"], t["tenant"]) for t in client.get("/_emulator/tenants").json()}
    shown = mask(made.tenant) if PROVIDERS[name].tenant_is_secret else made.tenant
    assert (name, shown) in tenants
    assert credentials("test-7f3a") == made  # the same name always gives the same credentials
