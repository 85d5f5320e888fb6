"""Telcom's Voice API (moonrope): incoming numbers, their inventory and destinations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from emulator.core.bulk import bulk_insert, held_values
from emulator.core.context import ProviderContext
from emulator.core.hotpath import HotRoute
from emulator.core.provider import Provider, TenantCredentials
from emulator.providers.telcom.errors import ERRORS, NAME
from emulator.providers.telcom.models import Destination, Number, Sequence

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


def _control_router() -> APIRouter:
    from emulator.providers.telcom.control import control_router

    return control_router()


# The wire (FastAPI routes, built at import) is imported when the sub-app is first needed.
def _build_app(runtime: ProviderContext) -> FastAPI:
    from emulator.providers.telcom.router import build_app

    return build_app(runtime)


def _hot_routes(runtime: ProviderContext) -> list[HotRoute]:
    from emulator.providers.telcom.hot import hot_routes

    return hot_routes(runtime)


def _seed_tenant(session: Session, tenant: str, runtime: ProviderContext) -> None:
    from emulator.providers.telcom import service  # imported (its schemas built) when first needed

    service.seed_tenant(session, tenant, runtime.fixture(NAME))


def _generate(session: Session, tenant: str, count: int, seed: int, runtime: ProviderContext) -> int:
    # Faker: only the seed command needs it; service's schemas are built when first needed.
    from emulator.providers.telcom import fake, service

    destinations = [
        (kind, item["id"]) for kind, items in runtime.fixture(NAME)["destinations"].items() for item in items
    ]
    numbers = fake.fake_numbers(seed, count)
    held = held_values(session, "telcom_number", "number", tenant, numbers)
    fresh = [number for number in numbers if number not in held] if held else numbers
    if not fresh:
        return 0
    first_id = service.reserve_number_ids(session, tenant, len(fresh))
    return bulk_insert(
        session, "telcom_number", fake.COLUMNS, fake.fake_rows(tenant, first_id, seed, fresh, destinations)
    )


def _credentials_for(name: str) -> TenantCredentials:
    """The token is the tenant (a Telcom unit); the secret is any non-empty value."""
    return TenantCredentials(tenant=name, fields={"X-Auth-Token": name, "X-Auth-Secret": "test-secret"})


PROVIDER = Provider(
    name=NAME,
    title="Telcom Voice API",
    build_app=_build_app,
    seed_tenant=_seed_tenant,
    errors=ERRORS,
    reset_tables=(Number, Destination, Sequence),
    snapshot_tables=(Number, Destination, Sequence),
    fixture=NAME,
    control_router=_control_router,
    generate=_generate,
    credentials_for=_credentials_for,
    hot_routes=_hot_routes,
)
