"""A tenant name no database column can hold is refused as input, never passed to storage."""

import pytest


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/_emulator/state"),
        ("POST", "/_emulator/reset"),
        ("GET", "/_emulator/callbacks"),
        ("GET", "/_emulator/requests"),
    ],
)
def test_a_nul_in_the_tenant_filter_is_invalid_input(client, method, path):
    assert client.request(method, path, params={"tenant": "\x00tenant"}).status_code == 422
    assert client.request(method, path, params={"tenant": "tenant"}).status_code == 200
