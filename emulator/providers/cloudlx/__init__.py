"""CloudLX: OAuth2 client credentials, the account's numbers, the available pool, number addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from emulator.core.bulk import bulk_insert
from emulator.core.context import ProviderContext
from emulator.core.hotpath import HotRoute
from emulator.core.provider import Provider, TenantCredentials
from emulator.providers.cloudlx.errors import NAME
from emulator.providers.cloudlx.models import AccessToken, Number, NumberAddress
from emulator.providers.cloudlx.validation import ERRORS

if TYPE_CHECKING:
    from fastapi import FastAPI


# The wire (FastAPI routes, built at import) is imported when the sub-app is first needed.
def _build_app(runtime: ProviderContext) -> FastAPI:
    from emulator.providers.cloudlx.router import build_app

    return build_app(runtime)


def _hot_routes(runtime: ProviderContext) -> list[HotRoute]:
    from emulator.providers.cloudlx.hot import hot_routes

    return hot_routes(runtime)


def _seed_tenant(session: Session, tenant: str, runtime: ProviderContext) -> None:
    from emulator.providers.cloudlx import service  # imported (its schemas built) when first needed

    service.seed_tenant(session, tenant, runtime.fixture(NAME))


def _generate(session: Session, tenant: str, count: int, seed: int, runtime: ProviderContext) -> int:
    """``count`` numbers reserved to the tenant's account, realistic and deterministic under ``seed``."""
    # fake loads the phonenumbers range data; service's schemas are built when first needed.
    from emulator.providers.cloudlx import fake, service

    fixture_numbers = {record["number_e164"] for record in runtime.fixture(NAME)["numbers"]}
    rows = fake.account_rows(seed, count, exclude=fixture_numbers)
    taken = service.existing_numbers(session, tenant, [row[fake.E164] for row in rows])
    fresh = [row for row in rows if row[fake.E164] not in taken] if taken else rows
    return bulk_insert(session, "cloudlx_number", fake.ACCOUNT_COLUMNS, fresh, fake.account_constants(tenant))


def _credentials_for(name: str) -> TenantCredentials:
    """The OAuth client is the tenant: exchange these at ``/api/oauth2/access-token`` for a token."""
    return TenantCredentials(
        tenant=name, fields={"grant_type": "client_credentials", "client_id": name, "client_secret": "test-secret"}
    )


PROVIDER = Provider(
    name=NAME,
    title="CloudLX API",
    build_app=_build_app,
    seed_tenant=_seed_tenant,
    errors=ERRORS,
    # Issued tokens are the tenant's state like its numbers: a reset revokes them, a snapshot keeps them.
    reset_tables=(AccessToken, Number, NumberAddress),
    snapshot_tables=(AccessToken, Number, NumberAddress),
    fixture=NAME,
    hosts=("cloudlx.epsilontel.com",),
    generate=_generate,
    credentials_for=_credentials_for,
    hot_routes=_hot_routes,
)
