"""CM.com Voice, Phone Number Request API: asynchronous number orders with callbacks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from emulator.core.bulk import bulk_insert
from emulator.core.context import ProviderContext
from emulator.core.db import table_of
from emulator.core.hotpath import HotRoute
from emulator.core.provider import Job, Provider, TenantCredentials
from emulator.providers.cm.errors import ERRORS, NAME
from emulator.providers.cm.models import CompanyProfile, NumberRequest
from emulator.providers.cm.settings import CMSettings

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


def _control_router() -> APIRouter:
    from emulator.providers.cm.control import control_router

    return control_router()


# The wire (FastAPI routes, built at import) is imported when the sub-app is first needed; the
# first request to either also starts indexing the locale data orders need.
def _build_app(runtime: ProviderContext) -> FastAPI:
    from emulator.providers.cm import service
    from emulator.providers.cm.router import build_app

    service.warm_up_soon()
    return build_app(runtime)


def _hot_routes(runtime: ProviderContext) -> list[HotRoute]:
    from emulator.providers.cm import service
    from emulator.providers.cm.hot import hot_routes

    service.warm_up_soon()
    return hot_routes(runtime)


def _seed_tenant(session: Session, tenant: str, runtime: ProviderContext) -> None:
    from emulator.providers.cm import service  # imported (its schemas built) when first needed

    service.seed_tenant(session, tenant, runtime.fixture(NAME))


def _generate(session: Session, tenant: str, count: int, seed: int, runtime: ProviderContext) -> int:
    """Generated orders, in one bulk insert; those still waiting move on with the clock from now."""
    from emulator.providers.cm import fake  # the phonenumbers range data: only the seed command needs it

    fixture = runtime.fixture(NAME)
    now = runtime.clock.now(NAME, tenant)
    held = session.execute(
        select(func.count()).select_from(NumberRequest).where(col(NumberRequest.tenant) == tenant)
    ).scalar_one()
    rows = fake.fake_rows(seed, count, fixture["company_profiles"], now, runtime.settings_of(CMSettings), held)
    return bulk_insert(
        session, "cm_number_request", fake.COLUMNS, rows, fake.constants(tenant, fixture["default_account"])
    )


# Whether any order has a change due: read without a lock on the due index, so a tick with nothing
# to do takes no write lock (the transitions take SQLite's before they read) and imports nothing.
# A statement of the table, not of the model: an idle process never sets up the ORM's mappings.
_REQUESTS = table_of(NumberRequest)
_ANY_DUE = select_rows(_REQUESTS.c.id).where(_REQUESTS.c.next_transition_at <= bindparam("now")).limit(1)


def _background_jobs(runtime: ProviderContext) -> dict[str, Job]:
    """Orders move on with the emulator's clock."""

    def run_due(now: datetime) -> None:
        with runtime.db.engine.connect() as connection:
            if connection.execute(_ANY_DUE, {"now": now}).first() is None:
                return None  # a change that comes due meanwhile is the next tick's
        from emulator.providers.cm import service  # imported (its schemas built) when first needed

        return service.run_due_transitions(runtime, now)

    return {"cm.number-requests": run_due}


def _credentials_for(name: str) -> TenantCredentials:
    """The product token (a GUID) is the tenant; the same name always gives the same token."""
    token = str(uuid.uuid5(uuid.NAMESPACE_URL, f"number-emulator:cm:{name}"))
    return TenantCredentials(tenant=token, fields={"X-CM-PRODUCTTOKEN": token})


PROVIDER = Provider(
    name=NAME,
    title="CM.com Voice: Phone Number Request API",
    build_app=_build_app,
    background_jobs=_background_jobs,
    seed_tenant=_seed_tenant,
    errors=ERRORS,
    reset_tables=(NumberRequest, CompanyProfile),
    snapshot_tables=(NumberRequest, CompanyProfile),
    fixture=NAME,
    settings=CMSettings,
    hosts=("api.cm.com",),
    control_router=_control_router,
    generate=_generate,
    credentials_for=_credentials_for,
    tenant_is_secret=True,
    hot_routes=_hot_routes,
)
