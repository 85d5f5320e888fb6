"""Yay.com's hot routes: the documented GETs and the create, answered ahead of FastAPI's routing
(``core/hotpath``) with the routes' own bytes. Nothing here imports FastAPI: the first answer
after start does not wait for it."""

from __future__ import annotations

from starlette.responses import Response

from emulator.core.auth import MAX_CREDENTIAL_LENGTH
from emulator.core.context import ProviderContext
from emulator.core.fastread import reader
from emulator.core.hotpath import HotRequest, HotRoute
from emulator.core.tenancy import TenantScope
from emulator.providers.yay import render, service
from emulator.providers.yay.errors import NAME, error_response
from emulator.providers.yay.render import envelope

ADDRESSES = "/voip/number-address"


async def _hot_scope(request: HotRequest) -> TenantScope | None:
    """The route's credential check (``router._scope``) for accepted credentials; None (the
    route answers) for anything else."""
    reseller = request.header(b"x-auth-reseller") or None
    on_behalf_of = request.header(b"x-auth-for")
    credentials = request.runtime.credentials
    if (
        reseller is None
        or not credentials.accepts(NAME, reseller, request.header(b"x-auth-user"), request.header(b"x-auth-password"))
        or (on_behalf_of is not None and len(on_behalf_of) > MAX_CREDENTIAL_LENGTH)
    ):
        return None
    await request.enter(NAME, reseller)
    return TenantScope(tenant=reseller, account=on_behalf_of or "")


async def _hot_list(request: HotRequest) -> Response | None:
    scope = await _hot_scope(request)
    if scope is None:
        return None

    async def build() -> Response:
        return render.address_list(await service.read_address_list(reader(request.runtime.db), scope))

    return await request.answer(("list", scope), build)


async def _hot_get(request: HotRequest) -> Response | None:
    scope = await _hot_scope(request)
    if scope is None:
        return None
    uuid = request.params["uuid"]

    async def build() -> Response:
        address = await service.read_address(reader(request.runtime.db), scope, uuid)
        return error_response(404) if address is None else envelope(address)

    return await request.answer(("get", scope, uuid), build)


async def _hot_create(request: HotRequest) -> Response | None:
    # Only a JSON object the route would take as it is; anything it would refuse is its to answer
    # (decided before the tenant is named).
    # The request shapes (and phonenumbers' regions with them) come with the first write.
    from emulator.providers.yay.schemas import AddressIn

    data = request.json_body(AddressIn)
    if data is None:
        return None
    scope = await _hot_scope(request)
    if scope is None:
        return None
    today = request.runtime.clock.now(NAME, scope.tenant).date()
    db = request.runtime.db
    return envelope(await db.write(service.create_address, scope, data, today), 201)


def hot_routes(_runtime: ProviderContext) -> list[HotRoute]:
    return [
        HotRoute(ADDRESSES, _hot_list),
        HotRoute(ADDRESSES, _hot_create, method="POST", body=True),
        HotRoute(ADDRESSES + "/{uuid}", _hot_get),
    ]
