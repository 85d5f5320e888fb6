"""Tenants are seeded exactly once, however many first requests race, and reset drops them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import func, select

from emulator.providers.yay.models import NumberAddress

AUTH = {"X-Auth-User": "user", "X-Auth-Password": "secret"}


def _count(app, tenant: str) -> int:
    with app.state.runtime.db.session() as session:
        return session.exec(select(func.count()).select_from(NumberAddress).where(NumberAddress.tenant == tenant)).one()


def test_racing_first_requests_seed_the_tenant_once(client, app):
    def first_request(_):
        return client.get("/yay/voip/number-address", headers={**AUTH, "X-Auth-Reseller": "racer"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(first_request, range(64))) == {200}
    assert _count(app, "racer") == len(app.state.runtime.fixture("yay")["number_addresses"])


def test_a_second_process_sees_the_seeded_tenant_and_does_not_reseed(app, settings):
    from emulator.app import create_app

    runtime = app.state.runtime
    runtime.tenants.ensure("yay", "shared")
    other = create_app(settings).state.runtime  # same database, fresh in-memory caches
    other.tenants.ensure("yay", "shared")
    assert _count(app, "shared") == len(runtime.fixture("yay")["number_addresses"])


def test_reset_by_provider_drops_its_tenants_and_an_unknown_provider_is_404(client, app):
    runtime = app.state.runtime
    runtime.tenants.ensure("yay", "kept")
    assert runtime.tenants.reset(provider="yay") == 1
    assert _count(app, "kept") == 0
    assert client.post("/_emulator/reset", params={"provider": "nope"}).status_code == 404
