"""Yay.com's VoIP reseller API: number addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from emulator.core.bulk import bulk_insert
from emulator.core.context import ProviderContext
from emulator.core.hotpath import HotRoute
from emulator.core.provider import Provider, TenantCredentials
from emulator.providers.yay.errors import ERRORS, NAME
from emulator.providers.yay.models import NumberAddress

if TYPE_CHECKING:
    from fastapi import FastAPI


# The wire (FastAPI routes, built at import) is imported when the sub-app is first needed.
def _build_app(runtime: ProviderContext) -> FastAPI:
    from emulator.providers.yay.router import build_app

    return build_app(runtime)


def _hot_routes(runtime: ProviderContext) -> list[HotRoute]:
    from emulator.providers.yay.hot import hot_routes

    return hot_routes(runtime)


def _seed_tenant(session: Session, tenant: str, runtime: ProviderContext) -> None:
    from emulator.providers.yay import service  # imported (its schemas built) when first needed

    service.seed_tenant(session, tenant, runtime.fixture(NAME)["number_addresses"])


def _generate(session: Session, tenant: str, count: int, seed: int, _runtime: ProviderContext) -> int:
    """Generated addresses on the reseller's own account, in one bulk insert (the DB-API's own)."""
    from emulator.providers.yay import fake  # Faker: only the seed command needs it

    return bulk_insert(session, "yay_number_address", fake.COLUMNS, list(fake.bulk_addresses(tenant, seed, count)))


def _credentials_for(name: str) -> TenantCredentials:
    """The reseller is the tenant; user and password are any non-empty values."""
    return TenantCredentials(
        tenant=name, fields={"X-Auth-Reseller": name, "X-Auth-User": "test-user", "X-Auth-Password": "test-password"}
    )


PROVIDER = Provider(
    name=NAME,
    title="Yay.com VoIP reseller API",
    build_app=_build_app,
    seed_tenant=_seed_tenant,
    errors=ERRORS,
    reset_tables=(NumberAddress,),
    snapshot_tables=(NumberAddress,),
    fixture=NAME,
    hosts=("api.yay.com",),
    generate=_generate,
    credentials_for=_credentials_for,
    hot_routes=_hot_routes,
)
