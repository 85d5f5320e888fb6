"""The wire: Yay.com's paths, auth headers, envelopes and status codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Request, Security
from fastapi.security import APIKeyHeader

from emulator.core.auth import MAX_CREDENTIAL_LENGTH
from emulator.core.context import ProviderContext
from emulator.core.fastread import reader
from emulator.core.subapp import GuardedRoute, Responses, RuntimeDep, SessionDep, build_subapp
from emulator.core.tenancy import TenantScope
from emulator.providers.yay import render, service
from emulator.providers.yay.errors import ERRORS, NAME, YayError
from emulator.providers.yay.hot import ADDRESSES
from emulator.providers.yay.render import envelope
from emulator.providers.yay.schemas import (
    AddressEnvelope,
    AddressIn,
    AddressListEnvelope,
    CreatedAddressEnvelope,
    EmptyEnvelope,
)

_reseller = APIKeyHeader(
    name="X-Auth-Reseller", scheme_name="XAuthReseller", auto_error=False, description="Reseller account (the tenant)"
)
_user = APIKeyHeader(name="X-Auth-User", scheme_name="XAuthUser", auto_error=False)
_password = APIKeyHeader(name="X-Auth-Password", scheme_name="XAuthPassword", auto_error=False)

_ERRORS: Responses = {
    401: {"model": EmptyEnvelope, "description": "Missing credentials"},
    400: {"model": EmptyEnvelope, "description": "Bad request"},
}
_NOT_FOUND: Responses = {404: {"model": EmptyEnvelope, "description": "No such number address"}}


# Async, so that a request costs one thread hop (the handler's), not one more for this.
async def _scope(
    request: Request,
    runtime: RuntimeDep,
    reseller: Annotated[str | None, Security(_reseller)],
    user: Annotated[str | None, Security(_user)],
    password: Annotated[str | None, Security(_password)],
    on_behalf_of: Annotated[
        str | None, Header(alias="X-Auth-For", description="Act for this sub-customer of the reseller")
    ] = None,
) -> TenantScope:
    if (
        reseller is None
        or not runtime.credentials.accepts(NAME, reseller, user, password)
        or (on_behalf_of is not None and len(on_behalf_of) > MAX_CREDENTIAL_LENGTH)
    ):
        await runtime.tenants.attribute_refused(request, NAME, reseller)
        raise YayError(401)
    await runtime.tenants.enter_async(request, NAME, reseller)
    return TenantScope(tenant=reseller, account=on_behalf_of or "")


ScopeDep = Annotated[TenantScope, Depends(_scope)]
AddressBody = Annotated[AddressIn, Body()]


router = APIRouter(prefix=ADDRESSES, tags=["Number addresses"], route_class=GuardedRoute)


# Reads are async and go through the fast reader: no ORM session, no thread hop on SQLite.
@router.get(
    "", response_model=AddressListEnvelope, responses=_ERRORS, summary="Gets all active number addresses on an account"
)
async def list_addresses(scope: ScopeDep, runtime: RuntimeDep):
    return render.address_list(await service.read_address_list(reader(runtime.db), scope))


@router.get(
    "/{uuid}",
    response_model=AddressEnvelope,
    responses=_ERRORS | _NOT_FOUND,
    summary="Gets the details for a specific number address on an account",
)
async def get_address(uuid: str, scope: ScopeDep, runtime: RuntimeDep):
    address = await service.read_address(reader(runtime.db), scope, uuid)
    if address is None:
        raise YayError(404)
    return envelope(address)


@router.post(
    "",
    status_code=201,
    response_model=CreatedAddressEnvelope,
    responses=_ERRORS,
    summary="Creates a new Number Address",
)
async def create_address(data: AddressBody, scope: ScopeDep, runtime: RuntimeDep):
    today = runtime.clock.now(NAME, scope.tenant).date()
    return envelope(await runtime.db.write(service.create_address, scope, data, today), 201)


@router.put(
    "/{uuid}",
    response_model=AddressEnvelope,
    responses=_ERRORS | _NOT_FOUND,
    summary="Updates the specified number address",
)
def replace_address(uuid: str, data: AddressBody, scope: ScopeDep, session: SessionDep, runtime: RuntimeDep):
    address = service.replace_address(session, scope, uuid, data, runtime.clock.now(NAME, scope.tenant).date())
    if address is None:
        raise YayError(404)
    return envelope(render.address(address))


@router.delete(
    "/{uuid}",
    response_model=EmptyEnvelope,
    responses=_ERRORS | _NOT_FOUND,
    summary="Deletes the specified number address",
)
def delete_address(uuid: str, scope: ScopeDep, session: SessionDep):
    if not service.delete_address(session, scope, uuid):
        raise YayError(404)
    return envelope({})


def build_app(runtime: ProviderContext) -> FastAPI:
    app = build_subapp(
        runtime,
        f"/{NAME}",
        title="Yay.com VoIP reseller API: number addresses (emulated)",
        description="Replays Yay.com's `/voip/number-address` API. Base URL: this server's `/yay`.",
        errors=ERRORS,
    )
    app.include_router(router)

    return app
