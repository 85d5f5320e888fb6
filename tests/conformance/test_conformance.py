"""Every registered provider, on each backend, against the one contract: its own error bodies for
whatever fails outside its handlers, its requests journaled under their tenant, tenant faults,
reset, snapshots, seeding and per-test credentials. What each provider answers comes from its
declaration (``tests/<provider>/conformance.py``), not from this suite."""

from __future__ import annotations

import uuid
from importlib import import_module

import pytest
from fastapi.testclient import TestClient

from emulator.core.provider import Provider, TenantScoped
from emulator.core.tenancy import masked_name as mask
from emulator.providers import load_providers
from tests.conformance import Conformance, declared

pytestmark = pytest.mark.each_backend

PROVIDERS = {provider.name: provider for provider in load_providers()}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Provider:
    return PROVIDERS[request.param]


@pytest.fixture
def conformance(provider: Provider) -> Conformance:
    return declared(provider)


class Tenant:
    """A fresh tenant from the provider's per-test credentials, and the headers that present them."""

    def __init__(self, client: TestClient, provider: Provider, conformance: Conformance) -> None:
        self.client, self.provider, self.conformance = client, provider, conformance
        self.credentials = provider.credentials_for(f"conformance-{uuid.uuid4().hex[:12]}")
        self.name = self.credentials.tenant
        self.authenticate()

    def authenticate(self) -> None:
        self.headers = self.conformance.authenticate(self.client, self.credentials)

    def read(self) -> str:
        response = self.conformance.read.send(self.client, self.provider, self.headers)
        assert response.status_code == 200, response.text
        return self.conformance.masked(response.text)

    def change(self) -> None:
        response = self.conformance.change.send(self.client, self.provider, self.headers)
        assert response.is_success, response.text


@pytest.fixture
def tenant(client: TestClient, provider: Provider, conformance: Conformance) -> Tenant:
    return Tenant(client, provider, conformance)


def test_the_emulator_runs_on_the_backend(client, backend):
    assert client.get("/_emulator/health").json()["database"] == backend


def test_an_unknown_path_gets_the_providers_404(client, provider, conformance):
    response = client.get(f"{provider.prefix}/conformance/no-such-path")
    expected = provider.errors.status(404)
    assert response.status_code == 404
    assert conformance.masked(response.text) == conformance.masked(expected.body.decode())


def test_a_wrong_method_gets_the_providers_405_naming_what_is_allowed(tenant, provider, conformance):
    call = conformance.wrong_method
    response = call.send(tenant.client, provider, tenant.headers)
    assert response.status_code == 405
    assert conformance.masked(response.text) == conformance.masked(provider.errors.status(405).body.decode())
    allowed = response.headers["Allow"].split(", ")
    assert allowed and call.method not in allowed


@pytest.mark.parametrize("refusal", ["unreadable_body", "invalid_body"])
def test_a_refused_body_gets_the_providers_answer_and_changes_nothing(tenant, provider, conformance, refusal):
    declared_refusal = getattr(conformance, refusal)
    before = tenant.read()
    response = declared_refusal.call.send(tenant.client, provider, tenant.headers)
    assert (response.status_code, conformance.masked(response.text)) == (declared_refusal.status, declared_refusal.body)
    assert tenant.read() == before


def test_a_new_tenant_is_seeded_from_the_default_fixtures(tenant, conformance, client, provider):
    assert conformance.seeded in tenant.read()
    shown = mask(tenant.name) if provider.tenant_is_secret else tenant.name
    assert (provider.name, shown) in {(t["provider"], t["tenant"]) for t in client.get("/_emulator/tenants").json()}


def test_per_test_credentials_name_isolated_tenants(client, provider, conformance):
    assert provider.credentials_for("test-7f3a") == provider.credentials_for("test-7f3a")  # one name, one tenant
    one, two = Tenant(client, provider, conformance), Tenant(client, provider, conformance)
    assert one.name != two.name
    fresh = two.read()
    one.change()
    assert one.read() != fresh
    assert two.read() == fresh


def test_requests_are_journaled_under_their_tenant(tenant, client, provider, conformance):
    tenant.read()
    entries = client.get("/_emulator/requests", params={"provider": provider.name, "tenant": tenant.name}).json()
    assert [(e["method"], e["path"], e["status"]) for e in entries][-1] == (
        conformance.read.method,
        conformance.read.path,
        200,
    )


def test_a_tenant_fault_answers_with_the_providers_body_for_that_tenant_only(client, provider, conformance):
    hit, spared = Tenant(client, provider, conformance), Tenant(client, provider, conformance)
    rule = {"provider": provider.name, "tenant": hit.name, "kind": "error", "status": 503}
    assert client.post("/_emulator/faults", json=rule).status_code in (200, 201)
    response = conformance.read.send(client, provider, hit.headers)
    assert response.status_code == 503
    assert conformance.masked(response.text) == conformance.masked(provider.errors.status(503).body.decode())
    assert conformance.seeded in spared.read()


def test_a_reset_puts_the_tenant_back_to_its_seed(tenant, client, provider):
    seeded = tenant.read()
    tenant.change()
    assert tenant.read() != seeded
    reset = client.post("/_emulator/reset", params={"provider": provider.name, "tenant": tenant.name})
    assert reset.json() == {"tenants_reset": 1}
    tenant.authenticate()  # credentials the provider issued are tenant state too
    assert tenant.read() == seeded


def test_a_snapshot_restores_exactly_what_it_holds(tenant, client, provider):
    before = tenant.read()
    snapshot = client.get("/_emulator/state", params={"tenant": tenant.name}).json()
    assert any(snapshot["tables"][table.__tablename__] for table in provider.snapshot_tables)
    tenant.change()
    assert tenant.read() != before
    assert client.put("/_emulator/state", json=snapshot).status_code == 200
    assert tenant.read() == before
    assert client.get("/_emulator/state", params={"tenant": tenant.name}).json() == snapshot


def test_every_tenant_table_of_the_room_is_reset_and_snapshotted(provider):
    models = import_module(f"emulator.providers.{provider.name}.models")
    tables = {
        model
        for model in vars(models).values()
        if isinstance(model, type) and issubclass(model, TenantScoped) and hasattr(model, "__table__")
    }
    assert tables == set(provider.reset_tables) == set(provider.snapshot_tables)
