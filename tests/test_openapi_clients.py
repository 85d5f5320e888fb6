"""A user's generated client works: openapi-python-client turns every committed document into a
Python package without a warning, the package imports, and its documented calls drive a running
emulator."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.support import ROOT, EmulatorProcess

DOCUMENTS = ["yay", "telcom", "cloudlx", "cm", "control"]
CM_ACCOUNT = "4c1e7b0a-5d2f-4e8b-9a6c-3f1d2e0b7a95"  # an account of its own: no fixture requests
CM_TOKEN = "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One generated package per document, ``<name>_client``, importable from the folder yielded."""
    folder = tmp_path_factory.mktemp("clients")
    config = folder / "config.yml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no formatter runs over the output
    for name in DOCUMENTS:
        result = subprocess.run(
            [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
            + ["--path", str(ROOT / "openapi" / f"{name}.json"), "--output-path", str(folder / f"{name}_client")]
            + ["--config", str(config)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    for module in [module for module in sys.modules if module.split(".")[0].endswith("_client")]:
        del sys.modules[module]


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_every_document_is_generated():
    assert sorted(DOCUMENTS) == sorted(path.stem for path in (ROOT / "openapi").glob("*.json"))


def test_yay_client(clients, live_emulator: EmulatorProcess):
    package = _module("yay_client")
    models = _module("yay_client.models")
    client = package.AuthenticatedClient(
        base_url=f"{live_emulator.base_url}/yay",
        token="generated-client",
        prefix="",
        auth_header_name="X-Auth-Reseller",
        headers={"X-Auth-User": "me", "X-Auth-Password": "secret"},
    )
    listing = _module("yay_client.api.number_addresses.list_addresses").sync(client=client)
    assert isinstance(listing, models.AddressListEnvelope)
    assert listing.status_code == 200
    documented = listing.result[0]
    created = _module("yay_client.api.number_addresses.create_address").sync(
        client=client,
        body=models.AddressIn.from_dict({**documented.to_dict(), "nickname": "Second address", "is_default": False}),
    )
    assert isinstance(created, models.CreatedAddressEnvelope)
    assert created.status_code == 201
    fetched = _module("yay_client.api.number_addresses.get_address").sync(created.result.uuid, client=client)
    assert isinstance(fetched, models.AddressEnvelope)
    assert fetched.result.nickname == "Second address"
    refused = _module("yay_client.api.number_addresses.list_addresses").sync(
        client=package.AuthenticatedClient(base_url=f"{live_emulator.base_url}/yay", token="", prefix="")
    )
    assert isinstance(refused, models.EmptyEnvelope)
    assert refused.status_code == 401


def test_telcom_client(clients, live_emulator: EmulatorProcess):
    package = _module("telcom_client")
    models = _module("telcom_client.models")
    client = package.AuthenticatedClient(
        base_url=f"{live_emulator.base_url}/telcom",
        token="generated-client",
        prefix="",
        auth_header_name="X-Auth-Token",
        headers={"X-Auth-Secret": "secret"},
    )
    listing = _module("telcom_client.api.numbers.numbers_list").sync(client=client)
    assert isinstance(listing, models.NumberListEnvelope)
    assert [number.id for number in listing.data] == [3466]
    info = _module("telcom_client.api.numbers.numbers_info").sync(
        client=client, body=models.NumbersInfoIdParams(id=3466)
    )
    assert isinstance(info, models.NumberEnvelope)
    assert info.data.number == listing.data[0].number
    missing = _module("telcom_client.api.numbers.numbers_info").sync(
        client=client, body=models.NumbersInfoIdParams(id=9)
    )
    assert isinstance(missing, models.NotFoundEnvelope)


def test_cloudlx_client_from_token_to_numbers(clients, live_emulator: EmulatorProcess):
    package = _module("cloudlx_client")
    models = _module("cloudlx_client.models")
    base_url = f"{live_emulator.base_url}/cloudlx"
    token_call = _module("cloudlx_client.api.o_auth_2.access_token")
    token = token_call.sync(
        client=package.Client(base_url=base_url),
        body=models.AccessTokenRequest(
            grant_type="client_credentials", client_id="generated-client", client_secret="secret"
        ),
    )
    assert isinstance(token, models.TokenResponse)
    assert token.token_type == "Bearer" and token.expires_in == 3600
    client = package.AuthenticatedClient(base_url=base_url, token=token.access_token)
    numbers = _module("cloudlx_client.api.numbers.list_numbers").sync(client=client)
    assert isinstance(numbers, models.NumberList)
    assert numbers.num_results == len(numbers.numbers) >= 1
    one = _module("cloudlx_client.api.numbers.get_number").sync(numbers.numbers[0].uuid, client=client)
    assert isinstance(one, models.NumberDetail)
    refused = _module("cloudlx_client.api.numbers.list_numbers").sync(
        client=package.AuthenticatedClient(base_url=base_url, token="not-a-token")
    )
    assert isinstance(refused, models.ErrorBody)
    assert refused.status_code == 401


def test_cm_client(clients, live_emulator: EmulatorProcess):
    package = _module("cm_client")
    models = _module("cm_client.models")
    client = package.AuthenticatedClient(
        base_url=f"{live_emulator.base_url}/cm", token=CM_TOKEN, prefix="", auth_header_name="X-CM-PRODUCTTOKEN"
    )
    created = _module("cm_client.api.number_requests.create_number_request").sync(
        CM_ACCOUNT, client=client, body=models.CreateNumberRequestNumberRequestBody(quantity=2, area_code="020")
    )
    assert isinstance(created, models.NumberRequestOut)
    assert created.status == models.NumberRequestOutStatus.COMPLETED
    assert len(created.numbers) == 2
    fetched = _module("cm_client.api.number_requests.get_number_request").sync(
        CM_ACCOUNT, created.request_id, client=client
    )
    assert isinstance(fetched, models.NumberRequestOut)
    assert fetched.to_dict() == created.to_dict()
    page = _module("cm_client.api.number_requests.get_number_requests").sync_detailed(CM_ACCOUNT, client=client)
    assert [request.request_id for request in page.parsed] == [created.request_id]
    assert page.headers["x-cm-pagination-total"] == "1"
    invalid = _module("cm_client.api.number_requests.create_number_request").sync(
        CM_ACCOUNT, client=client, body=models.CreateNumberRequestNumberRequestBody(quantity=0, area_code="020")
    )
    assert isinstance(invalid, models.ValidationProblem)


def test_control_client_exports_and_restores_the_state(clients, live_emulator: EmulatorProcess):
    package = _module("control_client")
    models = _module("control_client.models")
    client = package.AuthenticatedClient(base_url=f"{live_emulator.base_url}/_emulator", token="unused")
    health = _module("control_client.api.health.health").sync(client=client)
    assert isinstance(health, models.Health)
    # A tenant with a record of its own, so that the state holds rows.
    httpx.get(
        f"{live_emulator.base_url}/telcom/api/v2/numbers/list", headers={"X-Auth-Token": "snap", "X-Auth-Secret": "s"}
    )
    exported = _module("control_client.api.state_snapshots.export_state").sync(client=client)
    assert isinstance(exported, models.StateDocument)
    assert "snap" in [tenant.tenant for tenant in exported.tenants]
    restored = _module("control_client.api.state_snapshots.restore_state").sync(client=client, body=exported)
    assert isinstance(restored, models.RestoreResult)
    assert restored.rows_restored >= len(exported.tenants)
    again = _module("control_client.api.state_snapshots.export_state").sync(client=client)
    assert again.to_dict() == exported.to_dict()
